//! Code generation: one SSA `let __sg_N = …;` per live DAG node, in topological (id) order, for
//! the SIMD backend (`<E as SimdElement>::op(simd, …)`) or the scalar backend (std operators
//! and `<E as ScalarMath>::op(…)`). Both backends emit the same operations in the same order, so
//! pure arithmetic gives bit-identical results.
//!
//! **FMA contraction.** A product used only by one sum or difference is emitted as a fused
//! multiply-add (`a·b + c → fused_mul_add(a, b, c)`, `a·b − c → (a, b, −c)`,
//! `c − a·b → (−a, b, c)`) on both backends: one rounding instead of two, and one
//! instruction on FMA hardware (what a hand-written kernel does; `gelu` measured faster). Only
//! the rounding of finite results changes (by at most the product's rounding error), plus one
//! overflow corner: when `a·b` overflows and `c` is the opposite infinity the unfused form gives
//! NaN and the fused one `c`. The derived formula text is unaffected (it is printed from the
//! graph, not from this code). A product used twice is computed once, unfused, as before.

use crate::ir::{Graph, Id, Node};
use crate::lower::OpRef;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// Generic parameter names of the generated methods (prefixed so they cannot shadow user items).
pub fn elem() -> TokenStream {
    quote!(__SgE)
}

/// The SIMD-backend generic parameter.
pub fn simd_ty() -> TokenStream {
    quote!(__SgS)
}

/// The SIMD token parameter.
pub fn simd_arg() -> TokenStream {
    quote!(__sg_simd)
}

/// Emits an `f64` literal (non-finite values through `::core::f64`).
pub fn f64_lit(v: f64) -> TokenStream {
    if v.is_nan() {
        quote!(::core::f64::NAN)
    } else if v == f64::INFINITY {
        quote!(::core::f64::INFINITY)
    } else if v == f64::NEG_INFINITY {
        quote!(::core::f64::NEG_INFINITY)
    } else if v.is_sign_negative() {
        let lit = Literal::f64_suffixed(-v);
        quote!(-#lit)
    } else {
        let lit = Literal::f64_suffixed(v);
        quote!(#lit)
    }
}

/// `(±a)·b + (±c)`, one rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fma {
    a: Id,
    b: Id,
    c: Id,
    neg_a: bool,
    neg_c: bool,
}

/// How a live node is emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fuse {
    /// As itself.
    No,
    /// Not at all: a product folded into its only user's fused multiply-add.
    Absorbed,
    /// As a fused multiply-add (a sum or difference that absorbed a product).
    MulAdd(Fma),
}

/// Emits straight-line code for a set of graph outputs.
pub struct Emitter<'a> {
    /// The graph.
    pub g: &'a Graph,
    /// Ops called by the body.
    pub ops: &'a [OpRef],
    /// Path of the runtime's `__private` module.
    pub rt: &'a TokenStream,
    /// SIMD (`true`) or scalar backend.
    pub simd: bool,
    /// The expression bound to `Input(i)`.
    pub inputs: [TokenStream; 4],
}

impl Emitter<'_> {
    fn var(&self, id: Id) -> TokenStream {
        match self.g.node(id) {
            Node::Input(i) => self.inputs[i as usize].clone(),
            _ => {
                let v = format_ident!("__sg_{}", id);
                quote!(#v)
            }
        }
    }

    /// `let` statements computing `outputs`, and the expressions that name them.
    pub fn emit(&self, outputs: &[Id]) -> (TokenStream, Vec<TokenStream>) {
        let live = self.g.reachable(outputs);
        let plan = self.contraction(&live, outputs);
        let mut stmts = TokenStream::new();
        for id in 0..self.g.len() as Id {
            if !live[id as usize] || matches!(self.g.node(id), Node::Input(_)) {
                continue;
            }
            let value = match plan[id as usize] {
                Fuse::No => self.node(self.g.node(id)),
                Fuse::Absorbed => continue,
                Fuse::MulAdd(fma) => self.mul_add(fma),
            };
            let name = format_ident!("__sg_{}", id);
            stmts.extend(quote!(let #name = #value;));
        }
        (stmts, outputs.iter().map(|&o| self.var(o)).collect())
    }

    /// Which sums and differences absorb a product into a fused multiply-add: a live `Mul`
    /// whose only use is one operand of a live `Add`/`Sub` (and that is not itself an output).
    fn contraction(&self, live: &[bool], outputs: &[Id]) -> Vec<Fuse> {
        let n = self.g.len();
        let mut uses = vec![0usize; n];
        for id in 0..n as Id {
            if live[id as usize] {
                for c in self.g.node(id).children() {
                    uses[c as usize] += 1;
                }
            }
        }
        for &o in outputs {
            uses[o as usize] += 1;
        }
        let mut plan = vec![Fuse::No; n];
        let product = |id: Id, plan: &[Fuse]| match self.g.node(id) {
            Node::Mul(a, b) if uses[id as usize] == 1 && plan[id as usize] == Fuse::No => {
                Some((a, b))
            }
            _ => None,
        };
        for id in 0..n as Id {
            if !live[id as usize] {
                continue;
            }
            let fused = match self.g.node(id) {
                Node::Add(l, r) => match (product(l, &plan), product(r, &plan)) {
                    (Some((a, b)), _) => Some((l, a, b, r, false, false)),
                    (None, Some((a, b))) => Some((r, a, b, l, false, false)),
                    _ => None,
                },
                Node::Sub(l, r) => match (product(l, &plan), product(r, &plan)) {
                    (Some((a, b)), _) => Some((l, a, b, r, false, true)),
                    (None, Some((a, b))) => Some((r, a, b, l, true, false)),
                    _ => None,
                },
                _ => None,
            };
            if let Some((m, a, b, c, neg_a, neg_c)) = fused {
                plan[m as usize] = Fuse::Absorbed;
                plan[id as usize] = Fuse::MulAdd(Fma {
                    a,
                    b,
                    c,
                    neg_a,
                    neg_c,
                });
            }
        }
        plan
    }

    /// `mul_add(±a, b, ±c)` on either backend.
    fn mul_add(&self, f: Fma) -> TokenStream {
        let rt = self.rt;
        let e = elem();
        let s = simd_arg();
        let neg = |id: Id, negate: bool| {
            let v = self.var(id);
            match (negate, self.simd) {
                (false, _) => v,
                (true, true) => quote!(<#e as #rt::SimdElement>::neg(#s, #v)),
                (true, false) => quote!((-#v)),
            }
        };
        let (a, b, c) = (neg(f.a, f.neg_a), self.var(f.b), neg(f.c, f.neg_c));
        if self.simd {
            quote!(<#e as #rt::SimdElement>::fused_mul_add(#s, #a, #b, #c))
        } else {
            quote!(<#e as #rt::ScalarMath>::fused_mul_add(#a, #b, #c))
        }
    }

    fn node(&self, node: Node) -> TokenStream {
        let rt = self.rt;
        let e = elem();
        let s = simd_arg();
        let se = quote!(<#e as #rt::SimdElement>);
        let sm = quote!(<#e as #rt::ScalarMath>);
        let v = |id: Id| self.var(id);
        let vec_op = |name: &str, args: &[Id]| {
            let f = format_ident!("{}", name);
            let args = args.iter().map(|&a| self.var(a));
            quote!(#se::#f(#s, #(#args),*))
        };
        match node {
            Node::Input(i) => self.inputs[i as usize].clone(),
            Node::Const(bits) => {
                let lit = f64_lit(f64::from_bits(bits));
                let c = quote!(<#e as #rt::Element>::from_f64(#lit));
                if self.simd {
                    quote!(#se::splat(#s, #c))
                } else {
                    c
                }
            }
            Node::Bool(b) => {
                if self.simd {
                    let op = format_ident!("{}", if b { "eq" } else { "ne" });
                    quote!({
                        let __sg_zero = #se::splat(#s, <#e as #rt::Element>::ZERO);
                        #se::#op(#s, __sg_zero, __sg_zero)
                    })
                } else {
                    quote!(#b)
                }
            }
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) => {
                let (name, op) = match node {
                    Node::Add(..) => ("add", quote!(+)),
                    Node::Sub(..) => ("sub", quote!(-)),
                    Node::Mul(..) => ("mul", quote!(*)),
                    _ => ("div", quote!(/)),
                };
                if self.simd {
                    vec_op(name, &[a, b])
                } else {
                    let (a, b) = (v(a), v(b));
                    quote!(#a #op #b)
                }
            }
            Node::Neg(a) => {
                if self.simd {
                    vec_op("neg", &[a])
                } else {
                    let a = v(a);
                    quote!(-#a)
                }
            }
            Node::F1(f, a) => self.math(f.name(), &[a]),
            Node::F2(f, a, b) => self.math(f.name(), &[a, b]),
            Node::Clamp(x, lo, hi) => self.math("clamp", &[x, lo, hi]),
            Node::Powi(a, n) => {
                let n = if n < 0 {
                    let lit = Literal::i32_suffixed(n.unsigned_abs() as i32);
                    quote!(-#lit)
                } else {
                    let lit = Literal::i32_suffixed(n);
                    quote!(#lit)
                };
                let a = v(a);
                if self.simd {
                    quote!(#se::powi(#s, #a, #n))
                } else {
                    quote!(#sm::powi(#a, #n))
                }
            }
            Node::Cmp(op, a, b) => {
                if self.simd {
                    vec_op(op.method(), &[a, b])
                } else {
                    let sym: TokenStream = op.symbol().parse().expect("comparison operator");
                    let (a, b) = (v(a), v(b));
                    quote!(#a #sym #b)
                }
            }
            Node::And(a, b) | Node::Or(a, b) => {
                let (name, op) = match node {
                    Node::And(..) => ("and", quote!(&)),
                    _ => ("or", quote!(|)),
                };
                if self.simd {
                    let f = format_ident!("{}", name);
                    let (a, b) = (v(a), v(b));
                    quote!(#se::#f(#s, #a, #b))
                } else {
                    let (a, b) = (v(a), v(b));
                    quote!(#a #op #b)
                }
            }
            Node::Not(a) => {
                let a = v(a);
                if self.simd {
                    quote!(#se::not(#s, #a))
                } else {
                    quote!(!#a)
                }
            }
            Node::Select(m, a, b) => {
                let (m, a, b) = (v(m), v(a), v(b));
                if self.simd {
                    quote!(#se::select(#s, #m, #a, #b))
                } else {
                    quote!(if #m { #a } else { #b })
                }
            }
            Node::Call(c) => {
                let op = &self.ops[c.op as usize];
                let k = &op.kernel;
                let st = simd_ty();
                let (a, b) = (v(c.a), v(c.b));
                match (op.arity, c.out, self.simd) {
                    (1, 0, true) => quote!(<#k as #rt::MapKernel>::simd::<#st, #e>(#s, #a)),
                    (1, _, true) => quote!(
                        <#k as #rt::MapKernel>::simd_value_and_derivative::<#st, #e>(#s, #a).1
                    ),
                    (1, 0, false) => quote!(<#k as #rt::MapKernel>::scalar::<#e>(#a)),
                    (1, _, false) => quote!(<#k as #rt::MapKernel>::scalar_derivative::<#e>(#a)),
                    (_, 0, true) => quote!(<#k as #rt::ZipKernel>::simd::<#st, #e>(#s, #a, #b)),
                    (_, k2, true) => {
                        let idx = syn::Index::from(k2 as usize);
                        quote!(
                            <#k as #rt::ZipKernel>::simd_value_and_partials::<#st, #e>(#s, #a, #b).#idx
                        )
                    }
                    (_, 0, false) => quote!(<#k as #rt::ZipKernel>::scalar::<#e>(#a, #b)),
                    (_, k2, false) => {
                        let idx = syn::Index::from(k2 as usize - 1);
                        quote!(<#k as #rt::ZipKernel>::scalar_partials::<#e>(#a, #b).#idx)
                    }
                }
            }
        }
    }

    fn math(&self, name: &str, args: &[Id]) -> TokenStream {
        let rt = self.rt;
        let e = elem();
        let f = format_ident!("{}", name);
        let args = args.iter().map(|&a| self.var(a));
        if self.simd {
            let s = simd_arg();
            quote!(<#e as #rt::SimdElement>::#f(#s, #(#args),*))
        } else {
            quote!(<#e as #rt::ScalarMath>::#f(#(#args),*))
        }
    }
}
