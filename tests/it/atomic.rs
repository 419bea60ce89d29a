//! Files tollgate writes are whole or absent, even when the process is killed mid-way.

use std::time::Duration;

use crate::common::*;

#[test]
fn output_survives_a_kill_at_any_moment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let old = "{\"previous\": true}\n";
    for attempt in 0..12u64 {
        std::fs::write(&out, old).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["check", "contracts/orders.yaml", "contracts/orders_daily.yaml", "--format", "json", "--quiet"])
            .arg("--output")
            .arg(&out)
            .current_dir(repo())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(attempt * 15));
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&out).unwrap();
        if text != old {
            let report: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("torn report after kill at {attempt}: {e}"));
            assert_eq!(report["results"].as_array().unwrap().len(), 2);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != "report.json")
            .collect();
        // A killed run may leave its temporary file behind, never a partial report.json.
        for l in leftovers {
            assert!(l.file_name().to_string_lossy().starts_with(".report.json.tollgate-"), "{:?}", l.file_name());
        }
    }
}

#[test]
fn history_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("h.db");
    for attempt in 0..8u64 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args([
                "check",
                "contracts/orders.yaml",
                "--quiet",
                "--now",
                &format!("2026-05-0{}T00:00:00Z", attempt + 1),
            ])
            .arg("--history")
            .arg(&store)
            .current_dir(repo())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(attempt * 20));
        let _ = child.kill();
        let _ = child.wait();
    }
    let listed =
        tollgate(&["history", "contracts/orders.yaml", "--history", store.to_str().unwrap(), "--format", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let metrics = listed.json();
    // Every partition recorded holds its whole set of metrics, or none.
    let mut per_partition = std::collections::BTreeMap::<String, usize>::new();
    for m in metrics.as_array().unwrap() {
        *per_partition.entry(m["partition"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let sizes: std::collections::BTreeSet<usize> = per_partition.values().copied().collect();
    assert!(sizes.len() <= 1, "partial history: {per_partition:?}");
}

/// Runs `tollgate ARGS` through `sh -c` (for umask, process substitution and other users).
fn shell(dir: &std::path::Path, script: &str) -> std::process::Output {
    let out = std::process::Command::new("bash")
        .args(["-c", script])
        .env("TOLLGATE", env!("CARGO_BIN_EXE_tollgate"))
        .env("REPO", repo())
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

#[test]
fn a_device_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    // As root, a private copy of /dev/null (char 1:3), so a regression cannot break the machine's.
    let device = if is_root() {
        let path = dir.path().join("null");
        let made = std::process::Command::new("mknod").arg(&path).args(["c", "1", "3"]).status().unwrap();
        assert!(made.success());
        path
    } else {
        std::path::PathBuf::from("/dev/null")
    };
    for args in [
        vec!["infer", "fixtures/orders.parquet", "--output"],
        vec!["check", "contracts/orders.yaml", "--format", "json", "--quiet", "--output"],
        vec!["check", "contracts/orders.yaml", "--quiet", "--report", &format!("junit={}", device.display())],
    ] {
        let mut args: Vec<&str> = args;
        let text = device.display().to_string();
        if args.last() == Some(&"--output") {
            args.push(&text);
        }
        let r = tollgate(&args);
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        let meta = std::fs::symlink_metadata(&device).unwrap();
        assert!(meta.file_type().is_char_device(), "{args:?} replaced the device");
    }
}

#[test]
fn a_symlink_stays_a_link_and_its_target_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/report.json"), "old").unwrap();
    std::os::unix::fs::symlink("real/report.json", dir.path().join("report.json")).unwrap();
    let out = shell(dir.path(), "$TOLLGATE check $REPO/contracts/orders.yaml -f json -q -o report.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::symlink_metadata(dir.path().join("report.json")).unwrap().file_type().is_symlink());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("real/report.json")).unwrap()).unwrap();
    assert_eq!(written["status"], "fail");
    // A dangling link names the file to create.
    std::os::unix::fs::symlink("real/new.yaml", dir.path().join("new.yaml")).unwrap();
    let out = shell(dir.path(), "$TOLLGATE infer $REPO/fixtures/orders.parquet -o new.yaml");
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(dir.path().join("real/new.yaml")).unwrap().contains("contract: orders"));
}

#[test]
fn fifos_stdout_and_process_substitution_are_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = shell(
        dir.path(),
        "mkfifo pipe; (cat pipe > from_fifo &); $TOLLGATE infer $REPO/fixtures/orders.parquet -o pipe; wait; \
         test -p pipe && echo still-a-fifo",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "still-a-fifo");
    std::thread::sleep(Duration::from_millis(200));
    assert!(std::fs::read_to_string(dir.path().join("from_fifo")).unwrap().contains("contract: orders"));
    let out = shell(dir.path(), "$TOLLGATE check $REPO/contracts/orders.yaml -f json -q -o >(cat > substituted.json)");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    std::thread::sleep(Duration::from_millis(300));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("substituted.json")).unwrap()).unwrap();
    assert_eq!(doc["status"], "fail");
    for target in ["-", "/dev/stdout"] {
        let out = shell(dir.path(), &format!("$TOLLGATE infer $REPO/fixtures/orders.parquet -o {target} > out.yaml"));
        assert_eq!(out.status.code(), Some(0));
        assert!(std::fs::read_to_string(dir.path().join("out.yaml")).unwrap().starts_with("# Proposed by"));
    }
}

/// New files get 0666 minus the umask; a replaced file keeps its mode. `run_as` prefixes the
/// command (another user); the binary and data are copied into `dir` so any user reaches them.
fn modes_in(dir: &std::path::Path, run_as: &str) {
    use std::os::unix::fs::PermissionsExt;
    let work = dir.join("work");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_tollgate"), dir.join("tollgate")).unwrap();
    std::fs::copy(repo().join("fixtures/orders.parquet"), dir.join("data/orders.parquet")).unwrap();
    std::fs::write(
        dir.join("data/c.yaml"),
        "contract: c\ndataset: {path: orders.parquet}\nschema:\n  columns:\n    - {name: amount, range: {min: 0}}\n",
    )
    .unwrap();
    for d in [dir, &dir.join("data"), &work] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let mode = |name: &str| std::fs::metadata(work.join(name)).unwrap().permissions().mode() & 0o777;
    let run = |umask: &str, command: &str| {
        let out = shell(&work, &format!("{run_as} bash -c 'umask {umask}; ../tollgate {command}'"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr)
    };
    let (code, stderr) = run("027", "infer ../data/orders.parquet -o new.yaml");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(mode("new.yaml"), 0o640);
    let (code, stderr) = run("022", "check ../data/c.yaml -q -f json -o report.json");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(mode("report.json"), 0o644);
    std::fs::set_permissions(work.join("report.json"), std::fs::Permissions::from_mode(0o664)).unwrap();
    let (code, stderr) = run("077", "check ../data/c.yaml -q -f json -o report.json");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(mode("report.json"), 0o664, "an existing report keeps its mode");
    let leftovers: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn new_files_honour_the_umask_and_replaced_files_keep_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    modes_in(dir.path(), "");
}

#[test]
fn modes_as_an_unprivileged_user() {
    if !is_root() {
        // Already unprivileged: the test above is this one.
        return;
    }
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    modes_in(dir.path(), "setpriv --reuid=65534 --regid=65534 --clear-groups");
    assert_eq!(std::fs::metadata(dir.path().join("work/report.json")).unwrap().uid(), 65534, "written by nobody");
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_verdict() {
    for args in [
        vec!["check", "contracts/orders.yaml", "contracts/orders_daily.yaml", "--all-partitions"],
        vec!["infer", "fixtures/orders.parquet"],
        vec!["completions", "bash"],
        vec!["check", "--help"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(&args)
            .current_dir(repo())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before the first write, like `| head -0`
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        let expected = if args[0] == "check" && args.len() > 2 { 1 } else { 0 };
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn errors_name_the_path_given_not_a_temporary_file() {
    let r = tollgate(&["infer", "fixtures/orders.parquet", "--output", "nodir/contract.yaml"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.trim(), "error: cannot write nodir/contract.yaml: its folder does not exist");
    let r = tollgate(&["check", "contracts/orders.yaml", "-q", "--report", "json=nodir/r.json"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.trim(), "error: cannot write nodir/r.json: its folder does not exist");
}

#[test]
fn outputs_as_an_unprivileged_user() {
    if !is_root() {
        return; // the tests above already run unprivileged
    }
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_tollgate"), d.join("tollgate")).unwrap();
    std::fs::copy(repo().join("fixtures/orders.parquet"), d.join("orders.parquet")).unwrap();
    std::fs::write(d.join("real.yaml"), "old").unwrap();
    std::fs::set_permissions(d.join("real.yaml"), std::fs::Permissions::from_mode(0o666)).unwrap();
    std::os::unix::fs::symlink("real.yaml", d.join("link.yaml")).unwrap();
    let script = "set -e; cd \"$0\"; \
        ./tollgate infer orders.parquet -o /dev/null; \
        ./tollgate infer orders.parquet -o link.yaml; \
        mkfifo pipe; (cat pipe > from_fifo &); ./tollgate infer orders.parquet -o pipe; wait; \
        ./tollgate infer orders.parquet -o >(cat > substituted.yaml); sleep 0.3; \
        ./tollgate completions bash | head -1 > /dev/null";
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c", script])
        .arg(d)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(std::fs::symlink_metadata(d.join("link.yaml")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(d.join("real.yaml")).unwrap().contains("contract: orders"));
    assert!(std::fs::symlink_metadata(d.join("pipe")).unwrap().file_type().is_fifo());
    assert!(std::fs::read_to_string(d.join("from_fifo")).unwrap().contains("contract: orders"));
    assert!(std::fs::read_to_string(d.join("substituted.yaml")).unwrap().contains("contract: orders"));
}

#[test]
fn a_full_disk_on_stdout_is_exit_3_not_a_lost_report() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"])
        .current_dir(repo())
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write to standard output: no space left on the device"), "{stderr}");
}
