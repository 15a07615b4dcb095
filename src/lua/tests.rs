//! The engine's own contract, independent of any host's result rules.

use serde_json::json;

use super::*;

fn chunk(source: &str) -> Result<Vec<Returned>, Error> {
    chunk_within(source, Limits::default().timeout)
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

fn chunk_within(source: &str, timeout: std::time::Duration) -> Result<Vec<Returned>, Error> {
    run(
        profile::argo(false),
        &Call {
            source,
            entry: Entry::Chunk,
            globals: &[],
            limits: Limits {
                timeout,
                ..Limits::default()
            },
        },
    )
}

#[test]
fn the_time_limit_stops_a_script_that_catches_its_error() {
    let limit = std::time::Duration::from_millis(30);
    let started = std::time::Instant::now();
    let e = chunk_within(
        "while true do pcall(function() while true do end end) end",
        limit,
    )
    .unwrap_err();
    assert!(e.to_string().ends_with("context deadline exceeded"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // The hook is gone after the run: the next run on this thread completes.
    assert_eq!(
        chunk_within(
            "local n = 0 for i = 1, 1e6 do n = n + 1 end return n",
            limit
        )
        .unwrap(),
        vec![Returned::Number(1e6)]
    );
}

#[test]
fn the_time_limit_holds_on_many_threads_at_once() {
    let limit = std::time::Duration::from_millis(40);
    let started = std::time::Instant::now();
    let errors: Vec<String> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let src = format!("local x = {i} while true do x = x + 1 end");
                chunk_within(&src, limit).unwrap_err().to_string()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for e in errors {
        assert_eq!(e, "<string>:1: context deadline exceeded");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_signal_before_the_deadline_does_not_stop_a_run() {
    // What a late signal meant for an earlier run looks like to the next one.
    let src = "local n = 0 for i = 1, 3e6 do n = n + 1 end return n";
    // The first run installs the signal handler.
    chunk_within("return 1", std::time::Duration::from_secs(30)).unwrap();
    let stray = std::thread::spawn({
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() } as usize;
        move || {
            for _ in 0..20 {
                // SAFETY: the test thread joins this thread before it ends.
                unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGURG) };
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    });
    for _ in 0..10 {
        assert_eq!(
            chunk_within(src, std::time::Duration::from_secs(30)).unwrap(),
            vec![Returned::Number(3e6)]
        );
    }
    stray.join().unwrap();
}

#[test]
fn repeated_and_colliding_keys_convert_to_the_right_strings() {
    // 300 distinct keys (many share a cache slot), each object repeating some of them in a
    // different order, nested, with empty keys too.
    let objects: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            let mut m = serde_json::Map::new();
            for j in 0..300 {
                if (i + j) % 3 != 0 {
                    let key = format!("k{}", (j * 7 + i) % 300);
                    m.insert(key, json!({"type": j, "message": i, "": [j]}));
                }
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let list = serde_json::Value::Array(objects);
    let args = [Arg::from(&list)];
    let r = run(
        profile::argo(false),
        &Call {
            source: "function F(o) return o end",
            entry: Entry::Function("F", &args),
            globals: &[],
            limits: Limits::default(),
        },
    )
    .unwrap();
    assert_eq!(r, vec![Returned::Table(Ok(list))]);
}
