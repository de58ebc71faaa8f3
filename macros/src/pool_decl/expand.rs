//! Code generation of a pool declaration: a unit kernel type implementing `PoolKernel` with the
//! window and stride as const generics of its geometry, and a tensor-op function.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::parse::{Decl, Reduce};
use crate::names::upper_camel;

pub fn expand(d: &Decl) -> TokenStream {
    let Decl {
        vis,
        name,
        reduce,
        reduce_text,
        window: [kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
    } = d;
    let kernel = format_ident!("{}", upper_camel(&name.to_string()), span = name.span());
    let p = quote!(::simdgrad::__private);
    let (reduce_ty, mean) = match reduce {
        Reduce::Builtin { kernel, mean } => {
            let k = format_ident!("{}", kernel);
            (quote!(#p::pool_reduce::#k), *mean)
        }
        Reduce::User(path) => (quote!(#path), false),
    };
    let name_str = name.to_string();
    let what = format!(
        "`{reduce_text}` over {kh}×{kw} windows, stride ({sh}, {sw}), padding ({ph}, {pw})"
    );
    let type_doc = format!(
        "Pooling kernel `{name_str}` declared with `simdgrad::pool!`: {what}. Forward and \
         input-gradient kernels specialised for this window and stride; batch, channels and \
         spatial sizes are run-time. The tensor op is [`{name_str}`]."
    );
    let fn_doc = format!(
        "Pools a `(B, C, H, W)` tensor with {what} (declared with `simdgrad::pool!`). \
         Differentiable.\n\n# Errors\n`simdgrad::Error::InvalidArgument` naming the shapes if \
         the input is not 4-D or a window is larger than the padded input."
    );
    let (kh, kw, sh, sw, ph, pw) = (*kh, *kw, *sh, *sw, *ph, *pw);
    quote! {
        #[doc = #type_doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #vis struct #kernel;

        impl #p::PoolKernel for #kernel {
            const NAME: &'static str = #name_str;
            const REDUCE: &'static str = #reduce_text;
            type Reduce = #reduce_ty;
            type Geometry = #p::PoolFixed<#kh, #kw, #sh, #sw>;
            const MEAN: bool = #mean;
            const WINDOW: [usize; 2] = [#kh, #kw];
            const STRIDE: [usize; 2] = [#sh, #sw];
            const PADDING: [usize; 2] = [#ph, #pw];
        }

        #[doc = #fn_doc]
        #vis fn #name<E: #p::SimdElement>(
            x: &#p::Tensor<E>,
        ) -> #p::Result<#p::Tensor<E>> {
            #p::PoolKernel::apply(#kernel, x)
        }
    }
}
