//! Expansion tests: the output parses as a `syn::File`, every generated function is
//! `#[inline(always)]`, runtime items are named through `::simdgrad::__private`, and errors are
//! reported at once beside the user's function.

use crate::expand::expand;
use crate::parse::Kind;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::visit_mut::VisitMut;

fn expand_ok(kind: Kind, attr: TokenStream, item: TokenStream) -> syn::File {
    let out = expand(kind, attr, item).expect("expands");
    let text = out.to_string();
    assert!(!text.contains("compile_error"), "unexpected error: {text}");
    syn::parse2(out).expect("the expansion parses as a file")
}

fn errors_of(kind: Kind, attr: TokenStream, item: TokenStream) -> (Vec<String>, syn::File) {
    let out = expand(kind, attr, item).expect("expands");
    let file: syn::File = syn::parse2(out).expect("the expansion parses as a file");
    let msgs = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "compile_error") =>
            {
                let lit: syn::LitStr = m.mac.parse_body().ok()?;
                Some(lit.value())
            }
            _ => None,
        })
        .collect();
    (msgs, file)
}

fn impl_fns(file: &syn::File) -> Vec<&syn::ImplItemFn> {
    file.items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Impl(im) => Some(im),
            _ => None,
        })
        .flat_map(|im| im.items.iter())
        .filter_map(|it| match it {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn fn_text(file: &syn::File, name: &str) -> String {
    impl_fns(file)
        .into_iter()
        .find(|f| f.sig.ident == name)
        .unwrap_or_else(|| panic!("no fn {name}"))
        .to_token_stream()
        .to_string()
}

/// Collects every path that mentions the runtime crate.
struct RuntimePaths(Vec<syn::Path>, &'static str);

impl VisitMut for RuntimePaths {
    fn visit_path_mut(&mut self, p: &mut syn::Path) {
        if p.segments.iter().any(|s| s.ident == self.1) {
            self.0.push(p.clone());
        }
        syn::visit_mut::visit_path_mut(self, p);
    }
}

fn gelu() -> TokenStream {
    quote! {
        /// The GELU activation (tanh approximation).
        pub fn gelu(x: f32) -> f32 {
            0.5 * x * (1.0 + tanh(0.797_884_6 * (x + 0.044_715 * x * x * x)))
        }
    }
}

#[test]
fn map_expansion_is_a_struct_its_impls_and_the_scalar_function() {
    let file = expand_ok(Kind::Map, quote!(), gelu());
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|i| match i {
            syn::Item::Struct(s) => {
                assert_eq!(s.ident, "Gelu");
                assert!(matches!(s.vis, syn::Visibility::Public(_)));
                "struct"
            }
            syn::Item::Impl(i) => match i.trait_.as_ref().and_then(|(_, p, _)| p.segments.last()) {
                Some(t) if t.ident == "MapKernel" => "impl MapKernel",
                // So `conv! { activation = Gelu }` accepts it.
                Some(t) if t.ident == "ConvActivation" => "impl ConvActivation",
                _ => "other impl",
            },
            syn::Item::Fn(f) => {
                assert_eq!(f.sig.ident, "gelu");
                let doc = f.attrs.iter().any(|a| a.path().is_ident("doc"));
                assert!(doc, "the user's doc comment is kept");
                "fn"
            }
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["struct", "impl MapKernel", "impl ConvActivation", "fn"]
    );
}

#[test]
fn every_generated_function_is_inline_always() {
    let ops = [
        (Kind::Map, quote!(), gelu()),
        (
            Kind::Zip,
            quote!(),
            quote!(
                fn smooth_l1(a: f32, b: f32) -> f32 {
                    let d = a - b;
                    if abs(d) < 1.0 {
                        0.5 * d * d
                    } else {
                        abs(d) - 0.5
                    }
                }
            ),
        ),
        (
            Kind::Reduce,
            quote!(identity = f32::NEG_INFINITY),
            quote!(
                fn running_max(acc: f32, x: f32) -> f32 {
                    if x > acc {
                        x
                    } else {
                        acc
                    }
                }
            ),
        ),
    ];
    for (kind, attr, item) in ops {
        let file = expand_ok(kind, attr, item);
        let fns = impl_fns(&file);
        assert!(fns.len() >= 5);
        for f in fns {
            let inline_always = f.attrs.iter().any(|a| {
                a.path().is_ident("inline") && a.to_token_stream().to_string().contains("always")
            });
            assert!(inline_always, "`{}` lacks #[inline(always)]", f.sig.ident);
        }
    }
}

#[test]
fn runtime_items_are_named_by_absolute_private_paths() {
    let mut file = expand_ok(Kind::Map, quote!(), gelu());
    let mut paths = RuntimePaths(Vec::new(), "simdgrad");
    paths.visit_file_mut(&mut file);
    assert!(paths.0.len() > 10);
    for p in &paths.0 {
        assert!(p.leading_colon.is_some(), "{}", p.to_token_stream());
        assert_eq!(p.segments[0].ident, "simdgrad");
        assert_eq!(p.segments[1].ident, "__private", "{}", p.to_token_stream());
    }
}

#[test]
fn the_crate_argument_overrides_the_runtime_path() {
    let mut file = expand_ok(Kind::Map, quote!(crate = "my::sg"), gelu());
    let mut default = RuntimePaths(Vec::new(), "simdgrad");
    default.visit_file_mut(&mut file);
    assert!(default.0.is_empty());
    let mut custom = RuntimePaths(Vec::new(), "sg");
    custom.visit_file_mut(&mut file);
    assert!(custom
        .0
        .iter()
        .all(|p| p.segments[0].ident == "my" && p.segments[2].ident == "__private"));
    assert!(!custom.0.is_empty());
}

#[test]
fn the_name_argument_renames_the_kernel() {
    let file = expand_ok(Kind::Map, quote!(name = MyGelu), gelu());
    assert!(file.to_token_stream().to_string().contains("struct MyGelu"));
}

#[test]
fn backward_with_output_uses_the_output_instead_of_recomputing() {
    let sig = expand_ok(
        Kind::Map,
        quote!(),
        quote!(
            fn sig(x: f32) -> f32 {
                sigmoid(x)
            }
        ),
    );
    let body = fn_text(&sig, "simd_backward_with_output");
    assert!(!body.contains("sigmoid"), "{body}");
    assert!(fn_text(&sig, "simd_backward").contains("sigmoid"));
    let exp = expand_ok(
        Kind::Map,
        quote!(),
        quote!(
            fn e(x: f32) -> f32 {
                x.exp()
            }
        ),
    );
    let body = fn_text(&exp, "simd_backward_with_output");
    assert!(!body.contains("exp"), "{body}");
}

#[test]
fn the_kernel_doc_shows_the_formula_and_the_derivative() {
    let file = expand_ok(
        Kind::Map,
        quote!(),
        quote!(
            pub fn sig(x: f32) -> f32 {
                sigmoid(x)
            }
        ),
    );
    let text = file.to_token_stream().to_string();
    assert!(text.contains("sig(x) = sigmoid(x)"), "{text}");
    assert!(
        text.contains("d/dx = sigmoid(x) * (1 - sigmoid(x))"),
        "{text}"
    );
    assert!(text.contains("const DERIVATIVE : & 'static str = \"sigmoid(x) * (1 - sigmoid(x))\""));
}

#[test]
fn reduce_patterns_are_detected() {
    let cases = [
        (quote!(acc + x), "Sum"),
        (quote!(x + acc), "Sum"),
        (quote!(acc.max(x)), "Max"),
        (quote!(max(x, acc)), "Max"),
        (quote!(if x > acc { x } else { acc }), "Max"),
        (quote!(if acc >= x { acc } else { x }), "Max"),
        (quote!(if x < acc { acc } else { x }), "Max"),
        (quote!(if x < acc { x } else { acc }), "Min"),
        (quote!(min(acc, x)), "Min"),
        (quote!(acc * x), "General"),
        (quote!(acc + x * x), "General"),
    ];
    for (body, want) in cases {
        let item = quote!(fn f(acc: f32, x: f32) -> f32 { #body });
        let file = expand_ok(Kind::Reduce, quote!(identity = 0.0), item);
        let text = file.to_token_stream().to_string();
        assert!(
            text.contains(&format!("ReducePattern :: {want}")),
            "{} should be {want}",
            body
        );
    }
}

#[test]
fn errors_are_reported_all_at_once_beside_the_users_function() {
    let (msgs, file) = errors_of(
        Kind::Map,
        quote!(),
        quote!(
            pub fn bad(x: f32) -> f32 {
                let y = x.tan();
                for i in 0..3 {}
                tahn(y) + x.powi(y)
            }
        ),
    );
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    assert!(msgs[0].contains("unsupported function `tan`") && msgs[0].contains("supported: exp"));
    assert!(msgs[1].contains("only `let` bindings"));
    assert!(msgs[2].contains("did you mean `tanh`"), "{}", msgs[2]);
    assert!(msgs[3].contains("integer literal exponent"));
    let kept = file
        .items
        .iter()
        .any(|i| matches!(i, syn::Item::Fn(f) if f.sig.ident == "bad"));
    assert!(kept, "the user's function is still emitted");
}

#[test]
fn signature_errors_name_what_is_expected() {
    let (msgs, _) = errors_of(
        Kind::Zip,
        quote!(),
        quote!(
            fn f(a: f32) -> f32 {
                a
            }
        ),
    );
    assert!(msgs[0].contains("two float parameters"), "{msgs:?}");
    let (msgs, _) = errors_of(
        Kind::Map,
        quote!(),
        quote!(
            fn f(a: i32) -> f32 {
                a
            }
        ),
    );
    assert!(msgs[0].contains("must be `f32` or `f64`"), "{msgs:?}");
    let (msgs, _) = errors_of(
        Kind::Map,
        quote!(),
        quote!(
            fn f(a: f32) {
                a
            }
        ),
    );
    assert!(msgs[0].contains("must return"), "{msgs:?}");
    let (msgs, _) = errors_of(
        Kind::Reduce,
        quote!(),
        quote!(
            fn f(acc: f32, x: f32) -> f32 {
                acc
            }
        ),
    );
    assert!(msgs[0].contains("needs the identity"), "{msgs:?}");
    let (msgs, _) = errors_of(
        Kind::Map,
        quote!(),
        quote!(
            fn f(x: f32) -> f32 {
                return x;
            }
        ),
    );
    assert!(
        msgs.iter().any(|m| m.contains("early `return`")),
        "{msgs:?}"
    );
}

#[test]
fn the_expander_never_panics_on_odd_input() {
    let odd = [
        quote!(
            fn f(x: f32) -> f32 {}
        ),
        quote!(
            fn f(x: f32) -> f32 {
                x;
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                if x > 0.0 {
                    x
                }
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                let (a, b) = (x, x);
                a
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                x as f64
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                x[0]
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                |y| y
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                println!("{}", x);
                x
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                &x
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                foo(x, x, x)
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                x.powi(99999999999)
            }
        ),
        quote!(
            fn f(x: f32) -> f32 {
                unknown_name
            }
        ),
        quote!(
            fn f<T>(self, x: T) -> T {
                x
            }
        ),
        quote!(
            struct NotAFunction;
        ),
    ];
    for item in odd {
        let out = expand(Kind::Map, quote!(debug), item.clone());
        if let Ok(tokens) = out {
            assert!(tokens.to_string().contains("compile_error"), "{item}");
        }
    }
}

/// Found by the `macro_tokens` fuzz target: a call to an op named `_6` made the kernel name
/// `6`, and `Ident::new` panicked inside the macro. It must expand (the call then names a
/// kernel type `Op6`, which rustc reports if it does not exist).
#[test]
fn a_call_to_an_op_named_like_a_number_does_not_panic() {
    assert_eq!(crate::names::upper_camel("_6"), "Op6");
    assert_eq!(crate::names::upper_camel("smooth_l1"), "SmoothL1");
    let file = expand_ok(
        Kind::Map,
        quote!(),
        quote!(
            pub fn gelu(x: f32) -> f32 {
                0.5 * x * (1.0 + tanh(0.797_884 * _6(x + 1.0)))
            }
        ),
    );
    assert!(!file.items.is_empty());
}
