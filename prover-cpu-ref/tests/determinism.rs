//! Proofs made with the mipstark configuration are reproducible byte for byte and verify with
//! Plonky3's own verifier.

use std::borrow::Borrow;

use mipstark_prover_cpu_ref::{make_config, StarkParams, Val};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_uni_stark::{prove, verify};

/// Fibonacci with the last value as a public input: the smallest AIR with transitions.
struct Fib;

#[repr(C)]
struct Row<T> {
    a: T,
    b: T,
}

impl<T> Borrow<Row<T>> for [T] {
    fn borrow(&self) -> &Row<T> {
        let (pre, rows, post) = unsafe { self.align_to::<Row<T>>() };
        assert!(pre.is_empty() && post.is_empty() && rows.len() == 1);
        &rows[0]
    }
}

impl<F> BaseAir<F> for Fib {
    fn width(&self) -> usize {
        2
    }
    fn num_public_values(&self) -> usize {
        1
    }
}

impl<AB: AirBuilder> Air<AB> for Fib {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let out = builder.public_values()[0];
        let local: &Row<AB::Var> = main.current_slice().borrow();
        let next: &Row<AB::Var> = main.next_slice().borrow();
        builder.when_first_row().assert_zero(local.a);
        builder.when_first_row().assert_one(local.b);
        builder.when_transition().assert_eq(next.a, local.b);
        builder
            .when_transition()
            .assert_eq(next.b, local.a + local.b);
        builder.when_last_row().assert_eq(local.b, out);
    }
}

fn trace(n: usize) -> (RowMajorMatrix<Val>, Val) {
    let mut v = Vec::with_capacity(2 * n);
    let (mut a, mut b) = (Val::ZERO, Val::ONE);
    for _ in 0..n {
        v.extend([a, b]);
        (a, b) = (b, a + b);
    }
    let last = v[2 * n - 1];
    (RowMajorMatrix::new(v, 2), last)
}

#[test]
fn proofs_are_reproducible_and_verify() {
    let params = StarkParams {
        query_pow_bits: 8,
        ..StarkParams::TESTING
    };
    let config = make_config(params);
    let (t, out) = trace(1 << 10);
    let p1 = prove(&config, &Fib, t.clone(), &[out]).expect("prove");
    let p2 = prove(&make_config(params), &Fib, t, &[out]).expect("prove");
    let (b1, b2) = (
        bincode::serialize(&p1).unwrap(),
        bincode::serialize(&p2).unwrap(),
    );
    assert_eq!(b1, b2, "two proofs of the same statement differ");
    verify(&config, &Fib, &p1, &[out]).expect("Plonky3's verifier accepts");
    assert!(
        verify(&config, &Fib, &p1, &[out + Val::ONE]).is_err(),
        "wrong public value accepted"
    );
}
