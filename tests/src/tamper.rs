//! Tampering a proof through its serde tree, so that no field can be forgotten: every number
//! changed by one (an absent option filled with what another instance holds there), every
//! list shortened by its last element or lengthened by a copy of it. The verifiers' tamper
//! tests (`prover-cpu-ref/tests/tamper.rs`, `recursion/tests/verify.rs`) share these.

use std::collections::BTreeMap;

use serde_json::Value;

/// One place in the tree: its JSON pointer, and its pattern (indices replaced by `[]`).
pub struct Site {
    pub pointer: String,
    pub pattern: String,
    pub is_list: bool,
}

pub fn sites(v: &Value, pointer: String, pattern: String, out: &mut Vec<Site>) {
    match v {
        Value::Array(items) => {
            out.push(Site {
                pointer: pointer.clone(),
                pattern: pattern.clone(),
                is_list: true,
            });
            for (i, x) in items.iter().enumerate() {
                sites(x, format!("{pointer}/{i}"), format!("{pattern}[]"), out);
            }
        }
        Value::Object(fields) => {
            for (k, x) in fields {
                sites(x, format!("{pointer}/{k}"), format!("{pattern}.{k}"), out);
            }
        }
        _ => out.push(Site {
            pointer,
            pattern,
            is_list: false,
        }),
    }
}

/// For each pattern, a value some site of it holds (what an absent option is filled with).
pub fn donors(tree: &Value, all: &[Site]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for s in all {
        let v = tree.pointer(&s.pointer).expect("the site exists");
        if !v.is_null() {
            out.entry(s.pattern.clone()).or_insert_with(|| v.clone());
        }
    }
    out
}

/// The changes tried at a site.
pub fn tamperings(
    site: &Site,
    tree: &Value,
    donors: &BTreeMap<String, Value>,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut with = |what, f: &dyn Fn(&mut Value) -> bool| {
        let mut t = tree.clone();
        if f(t.pointer_mut(&site.pointer).expect("the site exists")) {
            out.push((what, t));
        }
    };
    if site.is_list {
        with("drop last", &|v| {
            v.as_array_mut().and_then(|a| a.pop()).is_some()
        });
        with("repeat last", &|v| {
            let a = v.as_array_mut().expect("a list");
            let last = a.last().cloned();
            last.map(|l| a.push(l)).is_some()
        });
    } else {
        with("+1", &|v| match v {
            Value::Number(n) => {
                *v = Value::from(n.as_u64().expect("proofs hold unsigned numbers") + 1);
                true
            }
            Value::Bool(b) => {
                *b = !*b;
                true
            }
            // An absent option (say, next-row openings of a chip that reads no next row)
            // filled in with what another instance holds there.
            Value::Null => match donors.get(&site.pattern) {
                Some(d) => {
                    *v = d.clone();
                    true
                }
                None => false,
            },
            _ => false,
        });
    }
    out
}

/// The sites to tamper: `per_pattern` of each field kind (its first, its last, then random
/// ones; every site when `None`), each with its pattern, and the number of field kinds.
pub fn chosen_sites(all: &[Site], per_pattern: Option<usize>) -> (Vec<(String, &Site)>, usize) {
    use rand::{Rng, SeedableRng};
    let mut by_pattern: BTreeMap<(String, bool), Vec<&Site>> = BTreeMap::new();
    for s in all {
        by_pattern
            .entry((s.pattern.clone(), s.is_list))
            .or_default()
            .push(s);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut jobs = Vec::new();
    for ((pattern, _), group) in &by_pattern {
        let chosen: Vec<&Site> = match per_pattern {
            None => group.clone(),
            Some(n) => {
                let mut c = vec![group[0], group[group.len() - 1]];
                while c.len() < n.min(group.len()) {
                    c.push(group[rng.gen_range(0..group.len())]);
                }
                c.truncate(n.max(1));
                c
            }
        };
        jobs.extend(chosen.into_iter().map(|site| (pattern.clone(), site)));
    }
    (jobs, by_pattern.len())
}
