use serde_json::json;

use super::*;
use std::time::{Duration, Instant};

fn eval(script: &str, obj: &Value) -> std::result::Result<HealthStatus, String> {
    evaluate_health(script, obj, &VmOptions::default()).map_err(|e| format!("{e:#}"))
}

fn msg(script: &str) -> String {
    eval(script, &json!({})).unwrap().message
}

#[test]
fn returns_status() {
    let hs = eval(
        r#"return {status = "Healthy", message = obj.metadata.name}"#,
        &json!({"metadata": {"name": "x"}}),
    )
    .unwrap();
    assert_eq!(hs.status, "Healthy");
    assert_eq!(hs.message, "x");
}

#[test]
fn return_conversion() {
    let o = json!({});
    assert_eq!(eval("return nil", &o).unwrap(), HealthStatus::default());
    assert_eq!(eval("local x = 1", &o).unwrap(), HealthStatus::default());
    assert_eq!(eval("return {}", &o).unwrap(), HealthStatus::default());
    assert_eq!(
        eval("return {status='Healthy'}, nil", &o).unwrap(),
        HealthStatus::default()
    );
    assert_eq!(
        eval("return {status='bad'}", &o).unwrap().message,
        INVALID_STATUS
    );
    assert_eq!(eval("return {message='m'}", &o).unwrap().status, "Unknown");
    assert_eq!(
        eval("return 'x'", &o).unwrap_err(),
        "expect table output from Lua script, not string"
    );
    assert_eq!(
        eval("return {status='Healthy', f=print}", &o).unwrap_err(),
        "json: error calling MarshalJSON for type json.jsonValue: json: error calling MarshalJSON for type json.jsonValue: cannot encode function to JSON"
    );
    assert_eq!(
        eval("local t = {} return {status='Healthy', a=t, b=t}", &o).unwrap_err(),
        format!(
            "{}cannot encode recursively nested tables to JSON",
            "json: error calling MarshalJSON for type json.jsonValue: ".repeat(2)
        )
    );
    assert_eq!(
        eval("return {[1]=1, [3]=2}", &o).unwrap_err(),
        "json: error calling MarshalJSON for type json.jsonValue: cannot encode sparse array"
    );
    assert_eq!(
        eval("return {1, status='Healthy'}", &o).unwrap_err(),
        "json: error calling MarshalJSON for type json.jsonValue: cannot encode mixed or invalid key types"
    );
}

#[test]
fn sandbox_libraries() {
    assert_eq!(
        msg("return {status='Healthy', message=type(string)..type(math)..type(os)}"),
        "nilnilnil"
    );
    assert_eq!(
        msg(
            "local os = require('os') return {status='Healthy', message=type(os.time)..type(os.date)..type(os.exit)}"
        ),
        "functionfunctionnil"
    );
    assert!(
        eval(
            "return {status='Healthy', message=('x'):upper()}",
            &json!({})
        )
        .is_err()
    );
    assert_eq!(
        msg("return {status='Healthy', message=type(table.getn)..type(unpack)}"),
        "functionfunction"
    );
    let open = VmOptions {
        open_libs: true,
        ..VmOptions::default()
    };
    let hs = evaluate_health(
        "return {status='Healthy', message=('x'):upper() .. string.format('%d', 3)}",
        &json!({}),
        &open,
    )
    .unwrap();
    assert_eq!(hs.message, "X3");
}

#[test]
fn isolation_between_runs() {
    assert_eq!(
        msg("leak = 1 table.insert = nil return {status='Healthy', message='a'}"),
        "a"
    );
    assert_eq!(
        msg("return {status='Healthy', message=type(leak)..type(table.insert)}"),
        "nilfunction"
    );
}

#[test]
fn host_globals_do_not_leak() {
    assert_eq!(
        msg(
            "getfenv(0).leak = 1 getfenv(print).leak2 = 2 local f = function() return getfenv(1) end return {status='Healthy', message=tostring(f() == _G)}"
        ),
        "true"
    );
    assert_eq!(
        msg("return {status='Healthy', message=type(leak)..type(leak2)..type(debug)..type(jit)}"),
        "nilnilnilnil"
    );
    assert!(eval("setfenv(0, {})", &json!({})).is_err());
}

#[test]
fn timeout_inside_coroutines() {
    let opts = VmOptions {
        open_libs: true,
        timeout: Duration::from_millis(50),
        ..VmOptions::default()
    };
    let e = evaluate_health("local co = coroutine.create(function() while true do end end) coroutine.resume(co) while true do end", &json!({}), &opts)
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("context deadline exceeded"), "{e}");
}

#[test]
fn gopher_dialect() {
    assert_eq!(
        msg(
            "return {status='Healthy', message=tostring(3)..' '..tostring(100/3)..' '..tostring(1/0)}"
        ),
        "3 33.333333333333336 +Inf"
    );
    assert_eq!(
        msg(
            "return {status='Healthy', message=tostring(tonumber('5e2'))..tostring(tonumber('0x10'))..tostring(tonumber(' 1.5 '))}"
        ),
        "nil161.5"
    );
    assert_eq!(
        msg(
            "local n = 0 for i = 1, 3 do if i == 2 then goto continue end n = n + i ::continue:: end return {status='Healthy', message=tostring(n)}"
        ),
        "4"
    );
}

#[test]
fn obj_decoding() {
    let o = json!({"a": [1, null, 3], "e": [], "m": {}, "n": null});
    let hs = eval(
        "return {status='Healthy', message=#obj.a .. ' ' .. obj.a[2] .. ' ' .. type(obj.e) .. type(obj.m) .. type(obj.n)}",
        &o,
    )
    .unwrap();
    assert_eq!(hs.message, "2 3 tabletablenil");
}

#[test]
fn limits() {
    let short = VmOptions {
        timeout: Duration::from_millis(50),
        ..VmOptions::default()
    };
    let e = evaluate_health("while true do end", &json!({}), &short)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "<string>:1: context deadline exceeded");
    let e = evaluate_health(
        "local ok = pcall(function() while true do end end) while true do end",
        &json!({}),
        &short,
    )
    .unwrap_err()
    .to_string();
    assert!(e.ends_with("context deadline exceeded"), "{e}");
    for hot in [
        "local i = 0 while true do i = i + 1 end",
        "local s = 0 for i = 1, 1e15 do s = s + i % 7 end",
        "local function f(n) return n + 1 end local x = 0 repeat x = f(x) until false",
    ] {
        let start = Instant::now();
        let e = evaluate_health(hot, &json!({}), &short)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("context deadline exceeded"), "{hot}: {e}");
        assert!(start.elapsed() < Duration::from_secs(2), "{hot}");
    }
    let small = VmOptions {
        memory_limit: 1 << 20,
        ..VmOptions::default()
    };
    let e = evaluate_health(
        "local t = {} for i = 1, 1e7 do t[i] = {i} end",
        &json!({}),
        &small,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not enough memory"), "{e}");
    // the VM still works afterwards
    assert_eq!(msg("return {status='Healthy', message='ok'}"), "ok");
}

#[test]
fn errors_have_argo_position() {
    let e = eval("local x = nil\nreturn x.y", &json!({})).unwrap_err();
    assert!(e.starts_with("<string>:2: "), "{e}");
    let e = eval("error('boom')", &json!({})).unwrap_err();
    assert_eq!(e, "<string>:1: boom");
}

#[test]
fn deeply_nested_result_is_an_error_not_a_crash() {
    let e = eval(
        "local t = {} local cur = t for i = 1, 100000 do cur.x = {} cur = cur.x end return {status = 'Healthy', n = t}",
        &json!({}),
    )
    .unwrap_err();
    assert!(
        e.ends_with("cannot encode tables nested deeper than 200 levels"),
        "{e}"
    );
}
