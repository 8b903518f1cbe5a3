//! Test support shared by the chip tests.

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
