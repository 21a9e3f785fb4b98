//! JavaScript ecosystem files (`.js`, `.cjs`, `.mjs`), evaluated with the machine's
//! `node`, as PM2 does with `require`.
//!
//! A small script loads the file (`require`, falling back to `import()` for ES modules,
//! and to a `data:` URL for `export default` in a `.js` file outside a `"type": "module"`
//! package on Node versions without module detection), takes `module.exports` or the
//! default export, and prints it with `JSON.stringify`; functions inside the exported
//! value are dropped by that, as in PM2. Node runs in the caller's working directory with
//! the caller's environment, since ecosystem files often read `process.env`. Positions
//! of values are unknown (line 0): the printed JSON is not the user's text. ES modules
//! see no CommonJS globals and CommonJS files no built-in modules as globals (the loader
//! would otherwise lend them its own).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::error::ProblemKind;
use super::interpreter::find_on_path;
use super::lenient_json;
use super::node::{Node, Pos, Value};

const LOADER: &str = r#"
// Everything in one function: a top-level binding of this script would be a global
// that the user's file could see.
(() => {
const file = process.env.RPM_ECOSYSTEM_FILE;
// A script read from stdin has require, module, exports, __filename and __dirname as
// globals: an ES module loaded from here would see them. Keep them to this script.
const load_cjs = require;
const { pathToFileURL } = load_cjs('url');
const fs = load_cjs('fs');
for (const name of ['require', 'module', 'exports', '__filename', '__dirname']) {
  delete globalThis[name];
}
async function load() {
  const url = pathToFileURL(file).href;
  if (file.endsWith('.mjs')) return (await import(url)).default;
  try {
    return load_cjs(file);
  } catch (e) {
    const esm = e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE' ||
      (e instanceof SyntaxError && /\b(export|import)\b/.test(String(e.message))));
    if (!esm) throw e;
    let m;
    try {
      m = await import(url);
    } catch (e2) {
      const src = fs.readFileSync(file);
      m = await import('data:text/javascript;base64,' + src.toString('base64'));
    }
    return m.default !== undefined ? m.default : m;
  }
}
load().then((v) => {
  // require() of an ES module (Node >= 20.19) returns its namespace object.
  if (v && typeof v === 'object' && v.__esModule && 'default' in v) v = v.default;
  const s = JSON.stringify(v);
  if (s === undefined) {
    console.error('the file exports no data (the exported value is ' + typeof v + ')');
    process.exit(3);
  }
  process.stdout.write(s);
}).catch((e) => {
  const first = e && e.stack ? String(e.stack).split('\n')[0] : '';
  const where = first.startsWith(file) ? ' at ' + first.slice(file.length + 1) : '';
  console.error(String(e) + where);
  process.exit(3);
});
})();
"#;

/// Evaluates `path` with `node` found on the caller's `PATH`, returning the exported value.
pub(crate) fn evaluate(
    path: &Path,
    caller_env: &BTreeMap<String, String>,
    caller_cwd: &Path,
) -> Result<Node, ProblemKind> {
    let path_var = caller_env.get("PATH").map(OsStr::new);
    let node = find_on_path("node", path_var).ok_or(ProblemKind::NodeMissing)?;
    // The loader comes on stdin, not with `-e`: `-e` makes every built-in module a
    // global (`fs`, `module`, …), which the user's file would then see.
    let mut child = Command::new(node)
        .arg("-")
        .env_clear()
        .envs(caller_env)
        .env("RPM_ECOSYSTEM_FILE", path)
        .current_dir(caller_cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ProblemKind::NodeFailed {
            message: e.to_string(),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // Smaller than a pipe's buffer: written at once, then closed.
        if let Err(e) = std::io::Write::write_all(&mut stdin, LOADER.as_bytes()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ProblemKind::NodeFailed {
                message: format!("cannot hand node its loader: {e}"),
            });
        }
    }
    let output = wait_bounded(child)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ProblemKind::NodeFailed {
            message: stderr.trim().replace('\n', " | "),
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|_| ProblemKind::NodeFailed {
        message: "node printed invalid UTF-8".to_string(),
    })?;
    let mut node = lenient_json::parse(&text).map_err(|e| ProblemKind::NodeFailed {
        message: format!("node printed something that is not JSON: {}", e.message),
    })?;
    forget_positions(&mut node);
    Ok(node)
}

/// How long a file may take to evaluate: one that starts a server never finishes.
const EVAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for `child` (reading its output on a helper thread), killing it past the timeout.
fn wait_bounded(child: Child) -> Result<Output, ProblemKind> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(EVAL_TIMEOUT) {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(ProblemKind::NodeFailed {
            message: e.to_string(),
        }),
        Err(_) => {
            if let Ok(pid) = i32::try_from(pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            Err(ProblemKind::NodeFailed {
                message: format!(
                    "evaluation did not finish within {} s (does the file start something instead of exporting data?)",
                    EVAL_TIMEOUT.as_secs()
                ),
            })
        }
    }
}

/// Positions in node's output are not positions in the user's file.
fn forget_positions(node: &mut Node) {
    node.pos = Pos::default();
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(forget_positions),
        Value::Map(entries) => {
            for (k, v) in entries {
                k.pos = Pos::default();
                forget_positions(v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> (BTreeMap<String, String>, std::path::PathBuf) {
        (std::env::vars().collect(), std::env::temp_dir())
    }

    fn node_available() -> bool {
        find_on_path("node", std::env::var_os("PATH").as_deref()).is_some()
    }

    #[test]
    fn missing_node_is_a_clear_error() {
        let env = BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]);
        let got = evaluate(Path::new("/x/ecosystem.config.js"), &env, Path::new("/"));
        assert_eq!(got, Err(ProblemKind::NodeMissing));
    }

    #[test]
    fn module_exports_and_export_default_are_read() {
        if !node_available() {
            eprintln!("skipped: node is not installed");
            return;
        }
        let dir = std::env::temp_dir().join(format!("rpm-js-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let rows = [
            (
                "a.config.js",
                "module.exports = { apps: [{ name: 'a', f() {} }] };",
            ),
            (
                "b.config.cjs",
                "module.exports = { apps: [{ name: 'a' }] };",
            ),
            ("c.config.mjs", "export default { apps: [{ name: 'a' }] };"),
            (
                "d.config.js",
                "const x = 'a';\nexport default { apps: [{ name: x }] };",
            ),
            // Each side sees only its own module system.
            (
                "e.config.mjs",
                "import os from 'os';\nconst n = typeof require === 'undefined' && typeof module === 'undefined' && os ? 'a' : 'leak';\nexport default { apps: [{ name: n }] };",
            ),
            (
                "f.config.cjs",
                "const os = require('os');\nmodule.exports = { apps: [{ name: typeof fs === 'undefined' && os ? 'a' : 'leak' }] };",
            ),
        ];
        let (env, cwd) = caller();
        for (file, src) in rows {
            let path = dir.join(file);
            std::fs::write(&path, src).expect("write");
            let got = evaluate(&path, &env, &cwd).expect(file);
            assert_eq!(
                got.to_json(),
                serde_json::json!({"apps": [{"name": "a"}]}),
                "{file}"
            );
        }
        let bad = dir.join("bad.config.js");
        std::fs::write(&bad, "module.exports = {").expect("write");
        match evaluate(&bad, &env, &cwd) {
            Err(ProblemKind::NodeFailed { message }) => {
                assert_eq!(message, "SyntaxError: Unexpected end of input at 1")
            }
            other => panic!("expected NodeFailed, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
