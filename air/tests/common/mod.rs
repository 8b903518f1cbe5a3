//! Test support shared by the chip tests.
#![allow(dead_code)] // each test binary uses a part

pub mod cycle;
pub mod forgery;

use mipstark_air::bus::Dispatch;
use mipstark_air::F;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_lookup::{Count, InteractionBuilder, LookupBus};

/// Where a [`BusSender`] sends: a bus of its own, or one kind of request on the dispatch bus.
#[derive(Clone)]
pub enum SenderBus {
    Plain(LookupBus<'static>),
    Dispatch(Dispatch),
}

/// A stand-in for the chips that will make requests (the CPU chip): each row sends its first
/// `fields` columns on `bus` when its last column, a constrained boolean `is_real`, is set.
#[derive(Clone)]
pub struct BusSender {
    pub bus: SenderBus,
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
        let fields = r[..self.fields].to_vec();
        let count = Count::bounded(is_real.into(), 1);
        match &self.bus {
            SenderBus::Plain(bus) => bus.lookup_key(b, fields, count),
            SenderBus::Dispatch(kind) => kind.lookup_key(b, fields, count),
        }
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
            f.try_into().is_ok_and(ByteOp::table_holds)
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
