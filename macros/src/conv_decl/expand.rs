//! [`Decl`] → tokens: the declaration's unit struct (rustdoc stating the shape), its
//! `ConvDecl` and `ConvKernel` impls, slice-level methods, and the differentiable tensor op.
//! Everything reaches the runtime through `::simdgrad::__private`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Type;

use super::parse::{Axis, Bias, Decl};
use crate::names::upper_camel;

fn axis_tokens(a: &Axis) -> TokenStream {
    let Axis {
        stride,
        before,
        after,
        dilation,
    } = *a;
    quote!(::simdgrad::__private::ConvParams {
        stride: #stride,
        padding_before: #before,
        padding_after: #after,
        dilation: #dilation,
    })
}

/// `Activated<t>`, spanned from the first to the last of the user's `activation = …` tokens.
/// The `ConvDecl` impl is the one place generated code names the activation (the methods reach
/// it through `Self`), so a type that is not a `#[simdgrad::map]` kernel fails the runtime's
/// `ConvActivation` bound once, underlined at the user's type.
fn activated(rt: &TokenStream, t: &Type) -> TokenStream {
    let tokens = t.to_token_stream();
    let first = tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tt| tt.span());
    let last = tokens.into_iter().last().map_or(first, |tt| tt.span());
    let head = respan(quote!(#rt::Activated<), first);
    let close = quote_spanned!(last=> >);
    quote!(#head #t #close)
}

/// `tokens` with every span set to `span` (delimited groups are not expected here).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            tt.set_span(span);
            tt
        })
        .collect()
}

/// The declaration in words, for the rustdoc and `ConvDecl::DECLARATION`.
fn describe(d: &Decl) -> String {
    let [kh, kw] = d.kernel;
    let kernel = if d.rank == 1 {
        format!("width {kw}")
    } else {
        format!("{kh}×{kw}")
    };
    let params = match (&d.params, &d.padding_text) {
        (Some(p), Some(text)) => {
            let axes: &[Axis] = if d.rank == 1 { &p[1..] } else { &p[..] };
            let list = |f: fn(&Axis) -> String| axes.iter().map(f).collect::<Vec<_>>().join(", ");
            format!(
                "stride [{}], padding `{text}` = [{}] (before, after per axis), dilation [{}]",
                list(|a| a.stride.to_string()),
                list(|a| format!("[{}, {}]", a.before, a.after)),
                list(|a| a.dilation.to_string()),
            )
        }
        _ => "stride, padding and dilation given at run time".to_string(),
    };
    let bias = match d.bias {
        Bias::Optional => "optional bias",
        Bias::Required => "bias required",
        Bias::Forbidden => "no bias",
    };
    let act = match &d.activation {
        Some(t) => format!(
            "fused activation `{}`",
            t.to_token_stream().to_string().replace(' ', "")
        ),
        None => "no activation".to_string(),
    };
    format!(
        "rank-{} convolution, kernel {kernel}, {params}, {bias}, {act}",
        d.rank
    )
}

/// Expands one validated declaration.
pub fn expand(d: &Decl) -> TokenStream {
    let Decl {
        attrs,
        vis,
        name,
        rank,
        kernel: [kh, kw],
        ..
    } = d;
    let rt = quote!(::simdgrad::__private);
    let ty = format_ident!("{}", upper_camel(&name.to_string()), span = name.span());
    let name_str = name.to_string();
    let words = describe(d);
    let n = rank + 2;
    let (in_layout, w_layout) = if *rank == 1 {
        ("(B, C, W)", "(O, C, K)")
    } else {
        ("(B, C, H, W)", "(O, C, KH, KW)")
    };
    let struct_doc = format!(" `{name_str}`: a {words}. Declared with `simdgrad::conv!`; the tensor op is [`{name_str}`].");
    let fn_doc = format!(" `{name_str}`: a {words}, input {in_layout}, weight {w_layout}, bias (O). Differentiable in all three; any input or weight layout. Declared with `simdgrad::conv!`; the slice kernels are methods of [`{ty}`].");

    // Declared parameters become const generics of the kernel; `params = runtime` keeps the
    // kernel that plans them from the shape.
    let kernel_ty = match &d.params {
        Some([h, w]) => {
            let (sh, sw, dh, dw, ph, pw) = (
                h.stride, w.stride, h.dilation, w.dilation, h.before, w.before,
            );
            quote!(#rt::Specialised<#kh, #kw, #sh, #sw, #dh, #dw, #ph, #pw>)
        }
        None => quote!(#rt::Fixed<#kh, #kw>),
    };
    let params_const = match &d.params {
        Some([a, b]) => {
            let (a, b) = (axis_tokens(a), axis_tokens(b));
            quote!(::core::option::Option::Some([#a, #b]))
        }
        None => quote!(::core::option::Option::None),
    };
    let bias_rule = match d.bias {
        Bias::Optional => quote!(Optional),
        Bias::Required => quote!(Required),
        Bias::Forbidden => quote!(Forbidden),
    };
    let epilogue = match &d.activation {
        Some(t) => activated(&rt, t),
        None => quote!(#rt::NoActivation),
    };

    // Rank-1 methods take 3-D views and hand the engine their unit-height 4-D form.
    let to4 = |v: &str| {
        let v = format_ident!("{v}");
        if *rank == 1 {
            quote!(let #v = #v.with_unit_height();)
        } else {
            quote!()
        }
    };
    let (x4, w4) = (to4("x"), to4("w"));
    let runtime = d.params.is_none();
    let (params_arg, params_val, params_doc) = match (runtime, *rank) {
        (false, _) => (quote!(), quote!(::core::option::Option::None), ""),
        (true, 1) => (
            quote!(, params: #rt::ConvParams),
            quote!(::core::option::Option::Some([#rt::ConvParams::valid(), params])),
            " `params` are the stride, padding and dilation (declared `params = runtime`).",
        ),
        (true, _) => (
            quote!(, params: [#rt::ConvParams; 2]),
            quote!(::core::option::Option::Some(params)),
            " `params` are the per-axis (height, width) stride, padding and dilation (declared `params = runtime`).",
        ),
    };
    let fn_doc = format!("{fn_doc}{params_doc}");
    let has_act = d.activation.is_some();
    let forward_doc = if has_act {
        " `out = act(conv(x, w) + bias)`, the activation fused into the kernel's store; `out` contiguous (B, O, …)."
    } else {
        " `out = conv(x, w) + bias`; `out` contiguous (B, O, …)."
    };
    // `forward`, and with an activation `forward_saving`, which also keeps the pre-activation
    // for the backward pass: one body, differing in the `pre` argument and the docs.
    let forward = |saving: bool| {
        let (f, doc, pre_arg, pre) = if saving {
            (
                format_ident!("forward_saving"),
                quote! {
                    /// As [`Self::forward`], also writing the pre-activation `conv(x, w) + bias` to
                    /// `pre` (same length as `out`), which [`Self::backward_activation`] needs.
                    ///
                    /// # Errors
                    /// As [`Self::forward`].
                    #[allow(clippy::too_many_arguments)]
                },
                quote!(pre: &mut [E],),
                quote!(::core::option::Option::Some(pre)),
            )
        } else {
            (
                format_ident!("forward"),
                quote! {
                    #[doc = #forward_doc]
                    ///
                    /// # Errors
                    /// `Error::InvalidArgument` if `s` is not a shape of this declaration, a view does
                    /// not match `s`, or the bias breaks the declared rule; `Error::LengthMismatch`
                    /// for a wrong bias or output length.
                },
                quote!(),
                quote!(::core::option::Option::None),
            )
        };
        quote! {
            #doc
            pub fn #f<E: #rt::SimdElement>(
                self,
                s: &#rt::ConvShape,
                x: #rt::StridedRef<'_, E, #n>,
                w: #rt::StridedRef<'_, E, #n>,
                bias: ::core::option::Option<&[E]>,
                out: &mut [E],
                #pre_arg
            ) -> #rt::Result<()> {
                #x4 #w4
                #rt::conv_decl::forward::<Self, E>(s, x, w, bias, out, #pre)
            }
        }
    };
    let plain_forward = forward(false);
    let saving = has_act.then(|| {
        let forward_saving = forward(true);
        quote! {
            #forward_saving

            /// The gradient of the pre-activation: `grad_z = grad_out · act'(pre)`, the
            /// activation's derived derivative; feed it to [`Self::backward_input`] and
            /// [`Self::backward_weight`].
            ///
            /// # Errors
            /// A length mismatch between the slices.
            pub fn backward_activation<E: #rt::SimdElement>(
                self,
                pre: &[E],
                grad_out: &[E],
                grad_z: &mut [E],
            ) -> #rt::Result<()> {
                #rt::conv_decl::backward_activation::<Self, E>(pre, grad_out, grad_z)
            }
        }
    });
    let grad_meaning = if has_act {
        "of the pre-activation (from [`Self::backward_activation`])"
    } else {
        "of the output"
    };
    let bi_doc = format!(" The input gradient for `grad_out`, the gradient {grad_meaning}; `grad_input` contiguous {in_layout}.");
    let bw_doc = format!(" The weight gradient for `grad_out`, the gradient {grad_meaning}; `grad_weight` contiguous {w_layout}.");
    // The two backward kernels, each delegating to `conv_decl::<kind>::<Self, E>`: in the
    // `ConvKernel` impl on 4-D views, and as inherent methods on views of the declared rank.
    let backward = |kind: &str, [a, b, out]: [&str; 3], inherent: Option<&str>| {
        let (f, a, b, out) = (
            format_ident!("{kind}"),
            format_ident!("{a}"),
            format_ident!("{b}"),
            format_ident!("{out}"),
        );
        let call = quote!(#rt::conv_decl::#f::<Self, E>(s, #a, #b, #out));
        match inherent {
            None => quote! {
                fn #f<E: #rt::SimdElement>(
                    s: &#rt::ConvShape,
                    #a: #rt::StridedRef<'_, E, 4>,
                    #b: #rt::StridedRef<'_, E, 4>,
                    #out: &mut [E],
                ) -> #rt::Result<()> {
                    #call
                }
            },
            Some(doc) => {
                let (a4, b4) = (to4(&a.to_string()), to4(&b.to_string()));
                quote! {
                    #[doc = #doc]
                    ///
                    /// # Errors
                    /// As [`Self::forward`].
                    pub fn #f<E: #rt::SimdElement>(
                        self,
                        s: &#rt::ConvShape,
                        #a: #rt::StridedRef<'_, E, #n>,
                        #b: #rt::StridedRef<'_, E, #n>,
                        #out: &mut [E],
                    ) -> #rt::Result<()> {
                        #a4 #b4
                        #call
                    }
                }
            }
        }
    };
    let bi_args = ["backward_input", "grad_out", "w", "grad_input"];
    let bw_args = ["backward_weight", "x", "grad_out", "grad_weight"];
    let [bi, bw] = [bi_args, bw_args].map(|[k, a, b, o]| (k, [a, b, o]));
    let kernel_backward = [bi, bw].map(|(k, args)| backward(k, args, None));
    let inherent_backward = [(bi, &bi_doc), (bw, &bw_doc)]
        .map(|((k, args), doc)| backward(k, args, Some(doc.as_str())));

    quote! {
        #(#attrs)*
        #[doc = ""]
        #[doc = #struct_doc]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #ty;

        impl #rt::ConvDecl for #ty {
            const NAME: &'static str = #name_str;
            const DECLARATION: &'static str = #words;
            const RANK: usize = #rank;
            const KERNEL: [usize; 2] = [#kh, #kw];
            const PARAMS: ::core::option::Option<[#rt::ConvParams; 2]> = #params_const;
            const BIAS: #rt::BiasRule = #rt::BiasRule::#bias_rule;
            type Kernel = #kernel_ty;
            type Epilogue = #epilogue;
        }

        /// The plain convolution of the declared shape (without the declared activation).
        impl #rt::ConvKernel for #ty {
            const EXTENT: ::core::option::Option<[usize; 2]> = ::core::option::Option::Some([#kh, #kw]);

            fn forward_fused<E: #rt::SimdElement, A: #rt::Epilogue>(
                s: &#rt::ConvShape,
                x: #rt::StridedRef<'_, E, 4>,
                w: #rt::StridedRef<'_, E, 4>,
                bias: ::core::option::Option<&[E]>,
                out: &mut [E],
                pre: ::core::option::Option<&mut [E]>,
            ) -> #rt::Result<()> {
                #rt::conv_decl::forward_fused::<Self, E, A>(s, x, w, bias, out, pre)
            }

            #(#kernel_backward)*
        }

        impl #ty {
            /// The validated shape for an input and a weight of these extents.
            ///
            /// # Errors
            /// `Error::InvalidArgument` naming the shapes if the channels differ, the kernel
            /// extents are not the declared ones, or a window is larger than the padded input.
            pub fn shape(
                self,
                input: [usize; #n],
                weight: [usize; #n]
                #params_arg
            ) -> #rt::Result<#rt::ConvShape> {
                let params = #rt::conv_decl::params::<Self>(#params_val)?;
                #rt::conv_decl::shape::<Self>(&input, &weight, params)
            }

            #plain_forward

            #saving

            #(#inherent_backward)*
        }

        #(#attrs)*
        #[doc = ""]
        #[doc = #fn_doc]
        ///
        /// # Errors
        /// `Error::InvalidArgument` naming the shapes for a wrong rank, mismatched channels,
        /// kernel extents other than the declared ones, a window larger than the padded input,
        /// or a bias of the wrong shape or against the declared rule.
        #vis fn #name<E: #rt::SimdElement>(
            x: &#rt::Tensor<E>,
            w: &#rt::Tensor<E>,
            bias: ::core::option::Option<&#rt::Tensor<E>>
            #params_arg
        ) -> #rt::Result<#rt::Tensor<E>> {
            #rt::conv_decl::declared::<#ty, E>(x, w, bias, #params_val)
        }
    }
}
