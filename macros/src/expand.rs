//! Expansion: runs the layers (args → parse → lower → differentiate/simplify → codegen) and
//! assembles the generated items: the kernel struct, its trait impl and the scalar function
//! under the user's name. On error, the user's function is still emitted (with a panicking
//! body) beside the errors, so the rest of the crate keeps compiling.

use crate::args::parse_args;
use crate::codegen::{elem, simd_arg, simd_ty, Emitter};
use crate::diff::gradient;
use crate::errors::Ctxt;
use crate::ir::{input, CmpOp, Fn1, Fn2, Graph, Id, Node};
use crate::lower::{Lowering, OpRef};
use crate::names;
use crate::parse::{self, FloatTy, Func, Kind};
use crate::text;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use std::collections::HashMap;

/// Expands `#[simdgrad::<kind>(attr)]` on `item`.
pub fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let item_fn: syn::ItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "`#[simdgrad::{}]` goes on a function, like `fn gelu(x: f32) -> f32 {{ … }}`",
                kind.attr()
            ),
        )
    })?;
    match try_expand(kind, attr, &item_fn) {
        Ok(tokens) => Ok(tokens),
        Err(err) => {
            let fallback = fallback_fn(&item_fn);
            let errors = err.to_compile_error();
            Ok(quote!(#errors #fallback))
        }
    }
}

/// The user's function with its signature and attributes, and a body that cannot be reached
/// in a build that compiles (the build already fails with the errors beside it). Keeping the
/// original body would add rustc errors for DSL-only names like `tanh(x)`.
fn fallback_fn(item: &syn::ItemFn) -> TokenStream {
    let mut f = item.clone();
    f.block = Box::new(syn::parse_quote!({
        ::core::unimplemented!("this simdgrad op failed to compile")
    }));
    // The stand-in body ignores the parameters; an "unused variable" warning beside the real
    // errors would only be noise.
    f.attrs.push(syn::parse_quote!(#[allow(unused_variables)]));
    f.into_token_stream()
}

/// Everything the generated code needs to know about one op.
struct Op<'a> {
    kind: Kind,
    item: &'a syn::ItemFn,
    func: Func,
    rt: TokenStream,
    kernel: syn::Ident,
    g: Graph,
    ops: Vec<OpRef>,
    root: Id,
}

fn try_expand(kind: Kind, attr: TokenStream, item: &syn::ItemFn) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let args = parse_args(kind, attr, &cx);
    let func = parse::parse_fn(kind, item, &cx);
    let mut g = Graph::new(true);
    let mut ops = Vec::new();
    let root = Lowering::new(&mut g, &mut ops, &cx).lower_fn(&func);
    let identity = if kind == Kind::Reduce {
        match &args.identity {
            Some(e) => Some(lower_identity(e, &cx)),
            None => {
                cx.error_span(
                    Span::call_site(),
                    "`#[simdgrad::reduce]` needs the identity of the fold, e.g. \
                     `#[simdgrad::reduce(identity = 0.0)]` for a sum or \
                     `identity = f32::NEG_INFINITY` for a max",
                );
                None
            }
        }
    } else {
        None
    };
    cx.check()?;
    let rt = match &args.krate {
        Some(p) => quote!(#p::__private),
        None => quote!(::simdgrad::__private),
    };
    let kernel = args.name.clone().unwrap_or_else(|| {
        format_ident!(
            "{}",
            names::upper_camel(&func.ident.to_string()),
            span = func.ident.span()
        )
    });
    let debug = args.debug;
    let mut op = Op {
        kind,
        item,
        func,
        rt,
        kernel,
        g,
        ops,
        root,
    };
    let tokens = match kind {
        Kind::Map => op.map(),
        Kind::Zip => op.zip(),
        Kind::Reduce => op.reduce(identity.flatten().unwrap_or(0.0)),
    };
    if debug {
        eprintln!("{}", pretty(&tokens));
    }
    Ok(tokens)
}

/// Pretty-prints generated tokens (falls back to the raw token text).
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

fn lower_identity(e: &syn::Expr, cx: &Ctxt) -> Option<f64> {
    let model = parse::parse_identity(e, cx);
    let mut g = Graph::new(true);
    let mut ops = Vec::new();
    let id = Lowering::new(&mut g, &mut ops, cx).expr(&model);
    if cx.has_errors() {
        return None;
    }
    let v = g.const_value(id);
    if v.is_none() {
        cx.error_at(
            e,
            "the identity must be a constant: a number literal or a named constant such as \
             `f32::NEG_INFINITY`, optionally negated or combined with `+ - * /`",
        );
    }
    v
}

/// The detected shape of a fold `f(acc, x)`.
fn pattern(g: &mut Graph, root: Id) -> &'static str {
    let acc = g.input(input::P0);
    let x = g.input(input::P1);
    let both = |a: Id, b: Id| (a == acc && b == x) || (a == x && b == acc);
    match g.node(root) {
        Node::Add(a, b) if both(a, b) => "Sum",
        Node::F2(Fn2::Max, a, b) if both(a, b) => "Max",
        Node::F2(Fn2::Min, a, b) if both(a, b) => "Min",
        Node::Select(m, t, e) if both(t, e) => match g.node(m) {
            Node::Cmp(op, l, r) if both(l, r) => match op {
                CmpOp::Gt | CmpOp::Ge if t == l => "Max",
                CmpOp::Gt | CmpOp::Ge => "Min",
                CmpOp::Lt | CmpOp::Le if t == l => "Min",
                CmpOp::Lt | CmpOp::Le => "Max",
                _ => "General",
            },
            _ => "General",
        },
        _ => "General",
    }
}

fn input_names() -> [TokenStream; 4] {
    [
        quote!(__sg_p0),
        quote!(__sg_p1),
        quote!(__sg_g),
        quote!(__sg_y),
    ]
}

impl Op<'_> {
    fn emitter(&self, simd: bool) -> Emitter<'_> {
        Emitter {
            g: &self.g,
            ops: &self.ops,
            rt: &self.rt,
            simd,
            inputs: input_names(),
        }
    }

    /// `{ let …; out }` or `{ let …; (out0, out1, …) }`.
    fn body(&self, simd: bool, outputs: &[Id]) -> TokenStream {
        let (stmts, outs) = self.emitter(simd).emit(outputs);
        if outs.len() == 1 {
            let o = &outs[0];
            quote!({ #stmts #o })
        } else {
            quote!({ #stmts (#(#outs),*) })
        }
    }

    fn text(&self, id: Id) -> String {
        let mut names: Vec<String> = self.func.params.iter().map(|p| p.to_string()).collect();
        names.extend(["g".to_string(), "y".to_string()]);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        text::render(&self.g, id, &refs, &self.ops)
    }

    fn param(&self, i: usize) -> String {
        self.func
            .params
            .get(i)
            .map_or("?".into(), |p| p.to_string())
    }

    /// The user's function, now computing through the kernel's scalar path.
    fn scalar_fn(&self, trait_name: &str) -> TokenStream {
        let mut f = self.item.clone();
        let mut call_args = Vec::new();
        for arg in f.sig.inputs.iter_mut() {
            if let syn::FnArg::Typed(pt) = arg {
                if let syn::Pat::Ident(pi) = &mut *pt.pat {
                    pi.mutability = None;
                    call_args.push(pi.ident.clone());
                }
            }
        }
        let (rt, k) = (&self.rt, &self.kernel);
        let tr = format_ident!("{}", trait_name);
        let float = match self.func.float {
            FloatTy::F32 => quote!(f32),
            FloatTy::F64 => quote!(f64),
        };
        f.block = Box::new(syn::parse_quote!({
            <#k as #rt::#tr>::scalar::<#float>(#(#call_args),*)
        }));
        f.into_token_stream()
    }

    fn strukt(&self, doc: &[String]) -> TokenStream {
        let vis = &self.item.vis;
        let k = &self.kernel;
        quote! {
            #(#[doc = #doc])*
            #[derive(Clone, Copy, Debug, Default)]
            #vis struct #k;
        }
    }

    fn doc(&self, formula: &str, derivs: &[(String, String)], usage: &str) -> Vec<String> {
        let name = self.func.ident.to_string();
        let params = self
            .func
            .params
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>();
        let mut doc = vec![
            format!(
                " Kernel of the op `{name}`, generated by `#[simdgrad::{}]` (one declaration, \
                 `f32` and `f64`).",
                self.kind.attr()
            ),
            String::new(),
            format!(" **Forward:** `{name}({}) = {formula}`", params.join(", ")),
            String::new(),
            " **Derivative** (derived symbolically, then simplified):".to_string(),
            String::new(),
        ];
        for (wrt, d) in derivs {
            doc.push(format!(" - `{wrt} = {d}`"));
        }
        doc.push(String::new());
        doc.push(format!(" {usage}"));
        doc
    }

    fn method_generics(&self) -> (TokenStream, TokenStream) {
        let rt = &self.rt;
        let (e, st) = (elem(), simd_ty());
        (
            quote!(<#e: #rt::SimdElement>),
            quote!(<#st: #rt::Simd, #e: #rt::SimdElement>),
        )
    }

    fn tys(&self) -> (TokenStream, TokenStream) {
        let rt = &self.rt;
        let (e, st) = (elem(), simd_ty());
        (quote!(#e), quote!(<#e as #rt::SimdElement>::V<#st>))
    }

    /// `true` if every node computing `roots` is a few-cycle vector op (arithmetic other than
    /// division, compares, selects, abs/relu/max/min/clamp/rounding): such a kernel is
    /// memory-bound on large slices, where the drivers' streaming stores pay. Transcendentals,
    /// divisions and calls to other ops make it compute-bound, where streaming stores measured
    /// slower (exp at 2^24: 0.88 of the hand-written kernel).
    fn memory_bound(&self, roots: &[Id]) -> bool {
        let live = self.g.reachable(roots);
        (0..self.g.len() as Id)
            .filter(|&id| live[id as usize])
            .all(|id| match self.g.node(id) {
                Node::F1(f, _) => matches!(
                    f,
                    Fn1::Abs | Fn1::Relu | Fn1::Signum | Fn1::Floor | Fn1::Ceil | Fn1::Round
                ),
                Node::F2(f, _, _) => matches!(f, Fn2::Max | Fn2::Min),
                Node::Div(..) | Node::Powi(..) | Node::Call(_) => false,
                _ => true,
            })
    }

    fn map(&mut self) -> TokenStream {
        let root = self.root;
        let x = self.g.input(input::P0);
        let one = self.g.constant(1.0);
        let d = gradient(&mut self.g, root, one, &[x])[0];
        let gin = self.g.input(input::GRAD);
        let back = self.g.add(Node::Mul(gin, d));
        let back_y = match self.g.node(root) {
            Node::Input(_) | Node::Const(_) => back,
            _ => {
                let y = self.g.input(input::OUTPUT);
                let subst = HashMap::from([(root, y)]);
                self.g.substitute(&[back], &subst)[0]
            }
        };
        let stream = self.memory_bound(&[root, back]);
        let formula = self.text(root);
        let dtext = self.text(d);
        let name = self.func.ident.to_string();
        let k = self.kernel.clone();
        let doc = self.doc(
            &formula,
            &[(format!("d/d{}", self.param(0)), dtext.clone())],
            &format!(
                "Use it through `MapKernel`: `{k}.forward(&x, &mut y)`, \
                 `{k}.backward(&x, &grad_y, &mut grad_x)`, `{k}::DERIVATIVE`."
            ),
        );
        let rt = self.rt.clone();
        let (g1, g2) = self.method_generics();
        let (e, v) = self.tys();
        let s = simd_arg();
        let st = simd_ty();
        let b_scalar = self.body(false, &[root]);
        let b_scalar_d = self.body(false, &[d]);
        let b_simd = self.body(true, &[root]);
        let b_vd = self.body(true, &[root, d]);
        let b_back = self.body(true, &[back]);
        let b_back_y = self.body(true, &[back_y]);
        let strukt = self.strukt(&doc);
        let scalar_fn = self.scalar_fn("MapKernel");
        let _ = &st;
        quote! {
            #strukt

            #[automatically_derived]
            #[allow(unused_variables, unused_parens, clippy::all, clippy::pedantic, clippy::nursery)]
            impl #rt::MapKernel for #k {
                const NAME: &'static str = #name;
                const FORMULA: &'static str = #formula;
                const DERIVATIVE: &'static str = #dtext;
                const STREAM_STORES: bool = #stream;

                #[inline(always)]
                fn scalar #g1 (__sg_p0: #e) -> #e #b_scalar
                #[inline(always)]
                fn scalar_derivative #g1 (__sg_p0: #e) -> #e #b_scalar_d
                #[inline(always)]
                fn simd #g2 (#s: #st, __sg_p0: #v) -> #v #b_simd
                #[inline(always)]
                fn simd_value_and_derivative #g2 (#s: #st, __sg_p0: #v) -> (#v, #v) #b_vd
                #[inline(always)]
                fn simd_backward #g2 (#s: #st, __sg_p0: #v, __sg_g: #v) -> #v #b_back
                #[inline(always)]
                fn simd_backward_with_output #g2 (
                    #s: #st, __sg_p0: #v, __sg_y: #v, __sg_g: #v
                ) -> #v #b_back_y
            }

            #[automatically_derived]
            impl #rt::ConvActivation for #k {}

            #scalar_fn
        }
    }

    /// The partials of a two-input body (`#[zip]`, `#[reduce]`) with respect to each input,
    /// their text, and the `∂f/∂p` doc lines that state them.
    fn two_partials(&mut self) -> ([Id; 2], [String; 2], [(String, String); 2]) {
        let p = [self.g.input(input::P0), self.g.input(input::P1)];
        let one = self.g.constant(1.0);
        let d = gradient(&mut self.g, self.root, one, &p);
        let d = [d[0], d[1]];
        let t = d.map(|n| self.text(n));
        let fname = self.func.ident.to_string();
        let docs = [0, 1].map(|i| (format!("∂{fname}/∂{}", self.param(i)), t[i].clone()));
        (d, t, docs)
    }

    fn zip(&mut self) -> TokenStream {
        let root = self.root;
        let ([da, db], [ta, tb], partials) = self.two_partials();
        let gin = self.g.input(input::GRAD);
        let ga = self.g.add(Node::Mul(gin, da));
        let gb = self.g.add(Node::Mul(gin, db));
        let formula = self.text(root);
        let name = self.func.ident.to_string();
        let k = self.kernel.clone();
        let doc = self.doc(
            &formula,
            &partials,
            &format!(
                "Use it through `ZipKernel`: `{k}.forward(&a, &b, &mut out)`, \
                 `{k}.backward(&a, &b, &grad_out, &mut grad_a, &mut grad_b)`, \
                 `{k}::DERIVATIVE_A`."
            ),
        );
        let rt = self.rt.clone();
        let (g1, g2) = self.method_generics();
        let (e, v) = self.tys();
        let (s, st) = (simd_arg(), simd_ty());
        let b_scalar = self.body(false, &[root]);
        let b_scalar_p = self.body(false, &[da, db]);
        let b_simd = self.body(true, &[root]);
        let b_vp = self.body(true, &[root, da, db]);
        let b_back = self.body(true, &[ga, gb]);
        let stream = self.memory_bound(&[root, ga, gb]);
        let strukt = self.strukt(&doc);
        let scalar_fn = self.scalar_fn("ZipKernel");
        quote! {
            #strukt

            #[automatically_derived]
            #[allow(unused_variables, unused_parens, clippy::all, clippy::pedantic, clippy::nursery)]
            impl #rt::ZipKernel for #k {
                const NAME: &'static str = #name;
                const FORMULA: &'static str = #formula;
                const DERIVATIVE_A: &'static str = #ta;
                const DERIVATIVE_B: &'static str = #tb;
                const STREAM_STORES: bool = #stream;

                #[inline(always)]
                fn scalar #g1 (__sg_p0: #e, __sg_p1: #e) -> #e #b_scalar
                #[inline(always)]
                fn scalar_partials #g1 (__sg_p0: #e, __sg_p1: #e) -> (#e, #e) #b_scalar_p
                #[inline(always)]
                fn simd #g2 (#s: #st, __sg_p0: #v, __sg_p1: #v) -> #v #b_simd
                #[inline(always)]
                fn simd_value_and_partials #g2 (
                    #s: #st, __sg_p0: #v, __sg_p1: #v
                ) -> (#v, #v, #v) #b_vp
                #[inline(always)]
                fn simd_backward #g2 (
                    #s: #st, __sg_p0: #v, __sg_p1: #v, __sg_g: #v
                ) -> (#v, #v) #b_back
            }

            #scalar_fn
        }
    }

    fn reduce(&mut self, identity: f64) -> TokenStream {
        let root = self.root;
        let ([dacc, dx], [tacc, tx], partials) = self.two_partials();
        let pattern = pattern(&mut self.g, root);
        let formula = self.text(root);
        let name = self.func.ident.to_string();
        let k = self.kernel.clone();
        let doc = self.doc(
            &formula,
            &partials,
            &format!(
                "Identity: `{}`. Detected pattern: `{pattern}` (selects the backward rule). \
                 Use it through `ReduceKernel`: `{k}.fold(&x)`, `{k}.backward(&x, grad_out, \
                 &mut grad_x)`.",
                text::constant(identity)
            ),
        );
        let rt = self.rt.clone();
        let (g1, g2) = self.method_generics();
        let (e, v) = self.tys();
        let (s, st) = (simd_arg(), simd_ty());
        let id_lit = crate::codegen::f64_lit(identity);
        let pat = format_ident!("{}", pattern);
        let b_scalar = self.body(false, &[root]);
        let b_scalar_p = self.body(false, &[dacc, dx]);
        let b_simd = self.body(true, &[root]);
        let b_simd_p = self.body(true, &[dacc, dx]);
        let strukt = self.strukt(&doc);
        let scalar_fn = self.scalar_fn("ReduceKernel");
        quote! {
            #strukt

            #[automatically_derived]
            #[allow(unused_variables, unused_parens, clippy::all, clippy::pedantic, clippy::nursery)]
            impl #rt::ReduceKernel for #k {
                const NAME: &'static str = #name;
                const FORMULA: &'static str = #formula;
                const DERIVATIVE_ACC: &'static str = #tacc;
                const DERIVATIVE_X: &'static str = #tx;
                const PATTERN: #rt::ReducePattern = #rt::ReducePattern::#pat;

                #[inline(always)]
                fn identity #g1 () -> #e {
                    <#e as #rt::Element>::from_f64(#id_lit)
                }
                #[inline(always)]
                fn scalar #g1 (__sg_p0: #e, __sg_p1: #e) -> #e #b_scalar
                #[inline(always)]
                fn scalar_partials #g1 (__sg_p0: #e, __sg_p1: #e) -> (#e, #e) #b_scalar_p
                #[inline(always)]
                fn simd #g2 (#s: #st, __sg_p0: #v, __sg_p1: #v) -> #v #b_simd
                #[inline(always)]
                fn simd_partials #g2 (#s: #st, __sg_p0: #v, __sg_p1: #v) -> (#v, #v) #b_simd_p
            }

            #scalar_fn
        }
    }
}
