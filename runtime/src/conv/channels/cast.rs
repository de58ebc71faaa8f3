//! Views of a generic element slice as `f32`, when the element type is `f32`.
//!
//! The engine's callers are generic over the element type; the engine is not (it is compiled
//! once, in the runtime). A slice cannot be downcast through `Any`, so the element type is
//! compared by `TypeId` and the slice reinterpreted.

use core::any::TypeId;

use crate::Element;

/// `x` as `&[f32]` when `E` is `f32`.
pub(crate) fn f32s<E: Element>(x: &[E]) -> Option<&[f32]> {
    (TypeId::of::<E>() == TypeId::of::<f32>()).then(|| {
        // SAFETY: `E` is `f32` (same `TypeId`), so the pointer, length and lifetime describe
        // the same `f32` slice.
        unsafe { core::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len()) }
    })
}

/// `x` as `&mut [f32]` when `E` is `f32`.
pub(crate) fn f32s_mut<E: Element>(x: &mut [E]) -> Option<&mut [f32]> {
    if TypeId::of::<E>() != TypeId::of::<f32>() {
        return None;
    }
    // SAFETY: `E` is `f32` (same `TypeId`); the result reborrows `x` exclusively for its
    // lifetime, so no other access to the slice exists meanwhile.
    Some(unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f32>(), x.len()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_f32_slices_only() {
        let mut a = [1.0f32, -2.5, 3.0];
        assert_eq!(f32s(&a), Some(&[1.0f32, -2.5, 3.0][..]));
        f32s_mut(&mut a).unwrap()[1] = 4.0;
        assert_eq!(a, [1.0, 4.0, 3.0]);
        let mut b = [1.0f64];
        assert!(f32s(&b).is_none() && f32s_mut(&mut b).is_none());
        assert_eq!(f32s::<f32>(&[]), Some(&[][..]));
    }
}
