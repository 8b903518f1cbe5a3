use super::*;

const SHAPE: MachineShape = MachineShape::MIPSTARK;

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 0.01, "got {got}, want {want}");
}

fn udr(p: &StarkParams) -> Report {
    report(p, &SHAPE, Regime::UniqueDecoding)
}

/// Numbers worked out by hand, so a wrong formula fails here rather than in a README.
#[test]
fn pinned_against_hand_computations() {
    // 4 · log2(2^31 − 2^24 + 1) = 4 · (31 + log2(1 − 2^-7 + 2^-31)) = 123.9547.
    close(log2_extension_field_size(), 123.9547);
    let d = StarkParams::DEFAULT;
    let p = StarkParams::PROVABLE;
    // Conjectured: 84 · 1 + 16.
    close(report(&d, &SHAPE, Regime::Conjectured).total_bits(), 100.0);
    // UDR queries: −84 · log2(3/4) + 16 = 84 · 0.415037 + 16.
    close(udr(&d).term(FRI_QUERIES).unwrap(), 50.863);
    // −124 · log2(5/8) + 16 = 124 · 0.678072 + 16.
    close(udr(&p).term(FRI_QUERIES).unwrap(), 100.081);
    // DEEP: (3 · (2^22 + 1) + 2^22 − 1) ≈ 2^24 over |K|; PROVABLE grinds 8 bits before ζ.
    close(udr(&d).term(DEEP).unwrap(), 123.9547 - 24.0);
    close(udr(&p).term(DEEP).unwrap(), 123.9547 - 24.0 + 8.0);
    // Batching at blowup 2: (2^23/4 + 1) · (2^13 − 1) / |K|, no grinding.
    close(
        udr(&d).term(FRI_BATCHING).unwrap(),
        123.9547 - 21.0 - 12.99982,
    );
    // ALI: 2^12 constraints, list size 1.
    close(udr(&d).term(ALI).unwrap(), 123.9547 - 12.0);
    // LogUp: 2^30 terms; fingerprint width 16 → 15 · 2^30; PROVABLE grinds 12 bits.
    close(udr(&p).term(LOGUP_POINT).unwrap(), 123.9547 - 30.0 + 12.0);
    close(
        udr(&p).term(LOGUP_FINGERPRINT).unwrap(),
        123.9547 - 30.0 - 15f64.log2() + 12.0,
    );
    // Johnson at m = 1, ρ = 1/4: 1 − θ = √ρ · (1 + 1/2) = 3/4 per query.
    let j = report(&p, &SHAPE, Regime::Johnson { m: 1 });
    close(j.term(FRI_QUERIES).unwrap(), 124.0 * 0.415037 + 16.0);
}

#[test]
fn default_keeps_100_conjectured_bits() {
    let r = report(&StarkParams::DEFAULT, &SHAPE, Regime::Conjectured);
    assert!(r.total_bits() >= 100.0, "{r:?}");
}

#[test]
fn provable_reaches_100_bits_in_unique_decoding() {
    let r = udr(&StarkParams::PROVABLE);
    for t in &r.terms {
        assert!(t.bits >= 100.0, "{t:?}");
    }
    assert!(r.total_bits() >= 100.0, "{r:?}");
    // DEEP depends on the height, degree and field only, 99.95 bits at 2^22 rows: the grinding
    // before ζ is what lifts it over 100.
    let ungrounded = StarkParams {
        deep_pow_bits: 0,
        ..StarkParams::PROVABLE
    };
    assert!(udr(&ungrounded).term(DEEP).unwrap() < 100.0);
    assert_eq!(
        udr(&ungrounded).term(DEEP),
        udr(&StarkParams::DEFAULT).term(DEEP)
    );
}

#[test]
fn secure_is_not_provable_at_100_bits() {
    assert!(udr(&StarkParams::DEFAULT).total_bits() < 60.0);
    assert!(johnson(&StarkParams::DEFAULT, &SHAPE).total_bits() < 100.0);
}

#[test]
fn more_queries_or_grinding_never_lose_bits() {
    for base in [
        StarkParams::TESTING,
        StarkParams::DEFAULT,
        StarkParams::PROVABLE,
    ] {
        let more_q = StarkParams {
            num_queries: base.num_queries + 10,
            ..base
        };
        let more_pow = StarkParams {
            query_pow_bits: base.query_pow_bits + 4,
            batch_pow_bits: base.batch_pow_bits + 4,
            lookup_pow_bits: base.lookup_pow_bits + 4,
            deep_pow_bits: base.deep_pow_bits + 4,
            ..base
        };
        for (a, b) in [(base, more_q), (base, more_pow)] {
            for (ra, rb) in all_regimes(&a, &SHAPE).iter().zip(all_regimes(&b, &SHAPE)) {
                assert!(rb.total_bits() >= ra.total_bits(), "{ra:?} vs {rb:?}");
                assert!(rb.term(FRI_QUERIES) > ra.term(FRI_QUERIES));
            }
        }
        let (a, b) = (udr(&base), udr(&more_pow));
        close(b.term(DEEP).unwrap(), a.term(DEEP).unwrap() + 4.0);
    }
}

#[test]
fn taller_traces_weaken_the_algebraic_terms() {
    let tall = MachineShape {
        log_max_height: SHAPE.log_max_height + 2,
        ..SHAPE
    };
    let p = StarkParams::PROVABLE;
    let (a, b) = (udr(&p), report(&p, &tall, Regime::UniqueDecoding));
    for name in [DEEP, FRI_BATCHING, FRI_COMMIT] {
        assert!(b.term(name) < a.term(name), "{name}");
    }
    assert_eq!(a.term(FRI_QUERIES), b.term(FRI_QUERIES));
}

#[test]
fn johnson_picks_the_best_multiplicity() {
    let p = StarkParams::PROVABLE;
    let best = johnson(&p, &SHAPE);
    for m in 1..=MAX_JOHNSON_M {
        assert!(report(&p, &SHAPE, Regime::Johnson { m }).total_bits() <= best.total_bits());
    }
    // Johnson queries beat unique decoding's at the same m-optimal point only if m is large;
    // its list size always costs the algebraic terms.
    assert!(best.term(ALI) < udr(&p).term(ALI));
}
