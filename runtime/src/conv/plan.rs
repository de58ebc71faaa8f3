//! `Plan`: a convolution rewritten in the one form the SIMD engine runs, and the packing of its
//! input into zero-padded, stride-phase-split planes.
//!
//! The engine computes `out[o][y][x] = Σ_c Σ_p Σ_q X[c][y·s + p·d][x·s + q·d] · W[o][c][p][q]`
//! where `X` is the source, zero-upsampled by `up` (a zero between source elements, for the
//! backward pass of a strided conv) and shifted by a signed `pad`. The forward pass is
//! `up = 1, pad = padding_before`; the input gradient (gather form) is the same conv of the output
//! gradient upsampled by the stride, with the weight transposed and flipped and
//! `pad = dilation·(K−1) − padding_before`.
//!
//! Packing splits every channel of `X` into `stride_h·stride_w` phase planes of `hph × wph`
//! elements, so that for a fixed tap the inputs of consecutive output positions `n = y·wph + x`
//! are consecutive in memory: `packed[tap_offset(c, p, q) + n]`. Columns `x ≥ out_w` of that flat
//! index are garbage the engine computes and drops. A stride larger than the dilated kernel
//! extent `e = (K−1)·d + 1` leaves the phases `≥ e` unread (the windows skip those rows and
//! columns), so only `min(stride, e)` phases per axis are packed: the packed size does not grow
//! with the stride.

use super::{ConvShape, StridedRef};
use crate::{Element, Error, Result};

/// Packed planes of one image above this many elements (4 GiB of f32) and above
/// [`PACKED_PER_DATA`] times the image's own input and output elements make a convolution an
/// error, rather than an allocation that takes the machine's memory or aborts. The planes hold
/// the padded input, so only padding and dilation far larger than the input reach both limits;
/// a large image alone never does.
const MAX_PACKED: usize = 1 << 30;
/// See [`MAX_PACKED`].
const PACKED_PER_DATA: usize = 4;

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub batch: usize,
    pub src_c: usize,
    pub out_c: usize,
    pub src_h: usize,
    pub src_w: usize,
    pub kh: usize,
    pub kw: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub up: [usize; 2],
    pub pad: [isize; 2],
    pub stride: [usize; 2],
    pub dil: [usize; 2],
    pub hph: usize,
    pub wph: usize,
    /// Phases packed per axis: `min(stride, dilated extent)`.
    pub phases: [usize; 2],
}

impl Plan {
    /// # Errors
    /// [`Error::InvalidArgument`] if one image's packed planes would exceed the limits of
    /// [`MAX_PACKED`].
    pub fn forward(s: &ConvShape) -> Result<Self> {
        let [ph, pw] = s.params;
        Self::new(
            s,
            [s.in_channels, s.out_channels],
            [s.in_h, s.in_w],
            [s.out_h, s.out_w],
            [1, 1],
            [ph.padding_before as isize, pw.padding_before as isize],
            [ph.stride, pw.stride],
        )
    }

    /// # Errors
    /// As [`Plan::forward`].
    pub fn backward_input(s: &ConvShape) -> Result<Self> {
        let [ph, pw] = s.params;
        let pad = |k: usize, p: super::ConvParams| {
            ((k - 1) * p.dilation) as isize - p.padding_before as isize
        };
        Self::new(
            s,
            [s.out_channels, s.in_channels],
            [s.out_h, s.out_w],
            [s.in_h, s.in_w],
            [ph.stride, pw.stride],
            [pad(s.kernel_h, ph), pad(s.kernel_w, pw)],
            [1, 1],
        )
    }

    fn new(
        s: &ConvShape,
        [src_c, out_c]: [usize; 2],
        [src_h, src_w]: [usize; 2],
        [out_h, out_w]: [usize; 2],
        up: [usize; 2],
        pad: [isize; 2],
        stride: [usize; 2],
    ) -> Result<Self> {
        let dil = [s.params[0].dilation, s.params[1].dilation];
        let too_large = || Error::InvalidArgument {
            op: "conv",
            message: format!(
                "{s}: its packed, padded input would exceed {MAX_PACKED} elements per image and \
                 {PACKED_PER_DATA} times the image's input and output (padding and dilation far \
                 larger than the input are not supported)"
            ),
        };
        // (K−1)·d fits: ConvShape computed the output extents with it, checked.
        let span = |k: usize, d: usize| (k - 1) * d;
        let (span_h, span_w) = (span(s.kernel_h, dil[0]), span(s.kernel_w, dil[1]));
        let phases = [stride[0].min(span_h + 1), stride[1].min(span_w + 1)];
        let hph = out_h
            .checked_add(span_h / stride[0])
            .ok_or_else(too_large)?;
        let wph = out_w
            .checked_add(span_w / stride[1])
            .ok_or_else(too_large)?;
        let data = (src_c.saturating_mul(src_h).saturating_mul(src_w))
            .saturating_add(out_c.saturating_mul(out_h).saturating_mul(out_w));
        let limit = MAX_PACKED.max(data.saturating_mul(PACKED_PER_DATA));
        [src_c, phases[0], phases[1], hph, wph]
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .filter(|&n| n <= limit)
            .ok_or_else(too_large)?;
        Ok(Self {
            batch: s.batch,
            src_c,
            out_c,
            src_h,
            src_w,
            kh: s.kernel_h,
            kw: s.kernel_w,
            out_h,
            out_w,
            up,
            pad,
            stride,
            dil,
            hph,
            wph,
            phases,
        })
    }

    pub fn plane(&self) -> usize {
        self.hph * self.wph
    }

    /// Distance between the packed planes of consecutive channels.
    pub fn channel_stride(&self) -> usize {
        self.phases[0] * self.phases[1] * self.plane()
    }

    /// Number of flat output positions `(out_h − 1) · wph + out_w`: the garbage columns of
    /// every row but the last.
    pub fn nflat(&self) -> usize {
        (self.out_h.max(1) - 1) * self.wph + self.out_w
    }

    /// Offset of tap `(p, q)` inside a channel's packed planes.
    pub fn tap_offset(&self, p: usize, q: usize) -> usize {
        let (rp, cp) = (p * self.dil[0], q * self.dil[1]);
        let [sh, sw] = self.stride;
        // `rp % sh < phases[0]`: `rp ≤ (K−1)·d < phases[0]` whenever `phases[0] < sh`.
        ((rp % sh) * self.phases[1] + cp % sw) * self.plane() + (rp / sh) * self.wph + cp / sw
    }

    /// Offsets of every tap `(c, p, q)`, in weight order.
    pub fn tap_offsets(&self) -> Vec<usize> {
        let cs = self.channel_stride();
        let mut v = Vec::with_capacity(self.src_c * self.kh * self.kw);
        for c in 0..self.src_c {
            for p in 0..self.kh {
                for q in 0..self.kw {
                    v.push(c * cs + self.tap_offset(p, q));
                }
            }
        }
        v
    }

    /// Length of a packed input buffer read up to `reach` positions past any tap offset
    /// (`tap_offset + n` for `n < reach`); `reach` may exceed `nflat` by at most `wph`.
    pub fn packed_len(&self, reach: usize) -> usize {
        self.src_c * self.channel_stride() + reach.saturating_sub(self.nflat()) + self.wph
    }

    /// Writes batch `b` of `src` into `buf` (length [`Plan::packed_len`]), zeros elsewhere.
    pub fn pack<E: Element>(&self, src: &StridedRef<'_, E, 4>, b: usize, buf: &mut [E]) {
        buf.fill(E::ZERO);
        self.pack_interior(src, b, buf, |d, s| d.copy_from_slice(s));
    }

    /// [`Plan::pack`] without the zeros: every batch writes the same positions, so a buffer
    /// zeroed once and then only ever packed by this plan keeps its padding zero. Unit-stride
    /// rows are copied by `copy(dst, src)` (equal lengths), so a SIMD caller can copy short rows
    /// in registers rather than through a `memcpy` call each.
    #[inline(always)] // The SIMD callers' `copy` closures must compile with their target features.
    pub fn pack_interior<E: Element>(
        &self,
        src: &StridedRef<'_, E, 4>,
        b: usize,
        buf: &mut [E],
        mut copy: impl FnMut(&mut [E], &[E]),
    ) {
        let [sh, sw] = self.stride;
        let [nph, npw] = self.phases;
        let [uh, uw] = self.up;
        let plane = self.plane();
        let cs = self.channel_stride();
        // Source columns that land inside the packed width, and where the first one goes.
        let col = |j: usize| j as isize * uw as isize + self.pad[1];
        let j0 = (0..self.src_w).find(|&j| col(j) >= 0).unwrap_or(self.src_w);
        let j1 = (j0..self.src_w)
            .find(|&j| col(j) as usize / sw >= self.wph)
            .unwrap_or(self.src_w);
        let sx = src.strides[3];
        for c in 0..self.src_c {
            for i in 0..self.src_h {
                let r = i as isize * uh as isize + self.pad[0];
                // Rows of an unpacked phase are never read.
                if r < 0 || r as usize / sh >= self.hph || r as usize % sh >= nph {
                    continue;
                }
                let r = r as usize;
                let row = c * cs + (r % sh) * npw * plane + (r / sh) * self.wph;
                let from = src.position([b, c, i, 0]);
                if sw == 1 && uw == 1 && j0 < j1 {
                    let dst = row + col(j0) as usize;
                    let dst = &mut buf[dst..dst + (j1 - j0)];
                    if sx == 1 {
                        copy(dst, &src.data[from + j0..from + j1]);
                    } else {
                        for (d, j) in dst.iter_mut().zip(j0..j1) {
                            *d = src.data[from + j * sx];
                        }
                    }
                } else {
                    for j in j0..j1 {
                        let cc = col(j) as usize;
                        if cc % sw < npw {
                            buf[row + (cc % sw) * plane + cc / sw] = src.data[from + j * sx];
                        }
                    }
                }
            }
        }
    }
}
