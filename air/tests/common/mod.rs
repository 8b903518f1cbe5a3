//! Test support shared by the chip tests.
#![allow(dead_code)] // each test binary uses a part

use mipstark_air::F;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_lookup::{Count, InteractionBuilder, LookupBus};

/// A stand-in for the chips that will make requests (the CPU chip): each row sends its first
/// `fields` columns on `bus` when its last column, a constrained boolean `is_real`, is set.
#[derive(Clone)]
pub struct BusSender {
    pub bus: LookupBus<'static>,
    pub fields: usize,
}

impl BaseAir<F> for BusSender {
    fn width(&self) -> usize {
        self.fields + 1
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: AirBuilder<F = F> + InteractionBuilder> Air<AB> for BusSender {
    fn eval(&self, b: &mut AB) {
        let m = b.main();
        let r = m.current_slice().to_vec();
        let is_real = r[self.fields];
        b.assert_bool(is_real);
        self.bus.lookup_key(
            b,
            r[..self.fields].to_vec(),
            Count::bounded(is_real.into(), 1),
        );
    }
}

/// Whether every `byte`-bus tuple a chip looks up is a row of the byte table.
pub fn byte_lookups_valid(ints: &[mipstark_air::debug::Interaction]) -> bool {
    use mipstark_air::bus::ByteOp;
    use p3_field::PrimeField32;
    ints.iter()
        .filter(|i| i.bus == "byte" && i.count != mipstark_air::F::new(0))
        .all(|i| {
            let f: Vec<u32> = i.fields.iter().map(|x| x.as_canonical_u32()).collect();
            let Some(op) = ByteOp::ALL.iter().find(|o| **o as u32 == f[0]) else {
                return false;
            };
            f[1] < 256 && f[2] < 256 && op.eval(f[1] as u8, f[2] as u8) as u32 == f[3]
        })
}

/// A chip's verdict on a forged trace: a failed constraint, or a byte lookup outside the table.
pub fn rejected(
    verdict: Result<Vec<mipstark_air::debug::Interaction>, mipstark_air::debug::DebugError>,
) -> bool {
    verdict
        .map(|ints| !byte_lookups_valid(&ints))
        .unwrap_or(true)
}
