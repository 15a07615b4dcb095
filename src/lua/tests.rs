//! The engine's own contract, independent of any host's result rules.

use serde_json::json;

use super::*;

fn chunk(source: &str) -> Result<Vec<Returned>, Error> {
    run(
        profile::argo(false),
        &Call {
            source,
            entry: Entry::Chunk,
            globals: &[],
            limits: Limits::default(),
        },
    )
}

#[test]
fn a_chunk_returns_every_value_converted() {
    let r = chunk("return nil, true, 2.5, 'x\\255', {a = {1, 2}}, {}, print").unwrap();
    assert_eq!(
        r,
        vec![
            Returned::Nil,
            Returned::Boolean(true),
            Returned::Number(2.5),
            Returned::String("x\u{FFFD}".into()),
            Returned::Table(Ok(json!({"a": [1, 2]}))),
            Returned::Table(Ok(json!([]))),
            Returned::Other("function"),
        ]
    );
    assert_eq!(chunk("local x = 1").unwrap(), vec![]);
    // integral numbers encode as Go prints a float64: no fraction
    assert_eq!(
        chunk("return {n = 3, f = 0.5}").unwrap(),
        vec![Returned::Table(Ok(json!({"n": 3, "f": 0.5})))]
    );
}

#[test]
fn a_named_function_gets_converted_arguments_and_the_globals() {
    let obj = json!({"items": [1, null, 3], "m": {"k": null}});
    let two = json!(2);
    let args = [Arg::from(&obj), Arg::from(&two)];
    let g = json!("global");
    let r = run(
        profile::argo(false),
        &Call {
            source: "function F(o, n) return #o.items * n, o.m.k, g end",
            entry: Entry::Function("F", &args),
            globals: &[("g", &g)],
            limits: Limits::default(),
        },
    )
    .unwrap();
    assert_eq!(
        r,
        vec![
            Returned::Number(4.0),
            Returned::Nil,
            Returned::String("global".into())
        ]
    );
}

#[test]
fn a_missing_function_is_its_own_error() {
    let call = |source| Call {
        source,
        entry: Entry::Function("F", &[]),
        globals: &[],
        limits: Limits::default(),
    };
    let r = run(profile::argo(false), &call("x = 1"));
    assert_eq!(r, Err(Error::NotAFunction("nil")));
    let r = run(profile::argo(false), &call("F = {}"));
    assert_eq!(r, Err(Error::NotAFunction("table")));
    let r = run(profile::argo(false), &call("function F() error('no') end"));
    assert_eq!(r, Err(Error::Script("<string>:1: no".into())));
}

#[test]
fn runs_do_not_share_globals_and_fresh_states_agree() {
    assert_eq!(chunk("leak = 1").unwrap(), vec![]);
    assert_eq!(
        chunk("return type(leak)").unwrap(),
        vec![Returned::String("nil".into())]
    );
    let call = Call {
        source: "return 1 + 1",
        entry: Entry::Chunk,
        globals: &[],
        limits: Limits::default(),
    };
    assert_eq!(
        run_fresh_state(profile::argo(true), &call).unwrap(),
        run(profile::argo(true), &call).unwrap()
    );
}

#[test]
fn assembled_arguments_convert_as_json_does() {
    let status = json!({"n": 1, "gone": null});
    let args = [Arg::List(vec![
        Arg::Object(vec![
            ("name", Arg::String("a")),
            ("status", Arg::Json(&status)),
            ("missing", Arg::Json(&serde_json::Value::Null)),
            ("ok", Arg::Bool(true)),
        ]),
        Arg::Json(&serde_json::Value::Null),
        Arg::List(vec![]),
    ])];
    let source = "function F(l) return #l, l[1].name, l[1].status.n, l[1].status.gone, \
                  l[1].missing, l[1].ok, #l[2] end";
    let r = run(
        &profile::KARMADA,
        &Call {
            source,
            entry: Entry::Function("F", &args),
            globals: &[],
            limits: Limits::default(),
        },
    )
    .unwrap();
    // the null list item is dropped, so the empty list moves up to index 2
    assert_eq!(
        r,
        vec![
            Returned::Number(2.0),
            Returned::String("a".into()),
            Returned::Number(1.0),
            Returned::Nil,
            Returned::Nil,
            Returned::Boolean(true),
            Returned::Number(0.0),
        ]
    );
    assert_eq!(
        args[0].to_json(),
        json!([{"name": "a", "status": status, "missing": null, "ok": true}, null, []])
    );
}

#[test]
fn garbage_is_collected_during_a_run_whatever_the_size_of_the_arguments() {
    let limits = Limits {
        memory: 8 << 20,
        ..Limits::default()
    };
    // ~40 MB of short-lived tables: more than the limit unless collected meanwhile
    let source = "function F(items) local k = 0 for i = 1, 400000 do local t = {i, i, i} \
                  k = k + #t end return #items, k end";
    // few arguments (the collector waits for the pause) and ~4 MB (it restarts at once)
    for n in [10usize, 20_000] {
        let items: serde_json::Value = (0..n)
            .map(|i| json!({"name": format!("member-{i}"), "n": i}))
            .collect();
        let args = [Arg::from(&items)];
        let call = Call {
            source,
            entry: Entry::Function("F", &args),
            globals: &[],
            limits,
        };
        assert_eq!(
            run(&profile::KARMADA, &call),
            Ok(vec![Returned::Number(n as f64), Returned::Number(1.2e6)]),
            "{n} items"
        );
    }
}
