//! The distro packages: `packaging/build.sh` builds the .deb and the .rpm from a built
//! binary, they install into a scratch root with the distro's own tool (`dpkg --root`,
//! `rpm --root`), hold exactly the files they should, and the installed binary answers.
//! The Homebrew formula is rendered against a source tarball of HEAD and syntax-checked
//! (Homebrew itself is not installable here).
//!
//! The binary packaged is `RPM_PACKAGE_BINARY` when set (CI points it at the release
//! build it already made), else the binary under test. dpkg-deb, rpmbuild and ruby must
//! be installed (`.ci/run` installs them): a missing tool fails the test, saying which.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::rpm_bin;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn packaged_binary() -> PathBuf {
    std::env::var_os("RPM_PACKAGE_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(rpm_bin)
}

/// Runs `cmd`, which must succeed; returns its output.
fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?} ({e}): .ci/run installs the packaging tools")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds the package `format` into `out` and returns its path (the script's last line).
fn build(format: &str, out: &Path) -> PathBuf {
    // The debug binary is large: compressed quickly, the contents are the same.
    let built = run(Command::new("bash")
        .env("RPM_PACKAGE_FAST", "1")
        .arg(repo().join("packaging/build.sh"))
        .arg(format)
        .arg("--binary")
        .arg(packaged_binary())
        .arg("--out")
        .arg(out));
    let path = PathBuf::from(text(&built).lines().last().unwrap_or_default());
    assert!(path.is_file(), "no package at {}", path.display());
    path
}

fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut data)
        .unwrap_or_else(|e| panic!("gunzip {}: {e}", path.display()));
    data
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The committed man pages' file names (`rpm.1`, `rpm-start.1`, …).
fn committed_man_pages() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("packaging/man"))
        .expect("read packaging/man")
        .map(|e| {
            e.expect("list packaging/man")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[test]
fn the_deb_installs_into_a_scratch_root_with_binary_unit_completions_and_man_pages() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let deb = build("deb", &tmp.path().join("out"));
    assert_eq!(
        deb.file_name().and_then(|n| n.to_str()),
        Some(format!("rpm-pm_{}_{}.deb", version(), deb_arch()).as_str())
    );

    // The control fields that keep it off Debian's own rpm package.
    let fields = text(&run(Command::new("dpkg-deb")
        .args(["--field"])
        .arg(&deb)
        .args(["Package", "Version", "Conflicts", "Depends"])));
    assert_eq!(
        fields,
        format!("Package: rpm-pm\nVersion: {}\nConflicts: rpm\n", version())
    );

    let mut expected: BTreeSet<String> = [
        "etc/bash_completion.d/rpm-pm",
        "lib/systemd/system/rpm.service",
        "usr/bin/rpm",
        "usr/share/doc/rpm-pm/README.md.gz",
        "usr/share/doc/rpm-pm/copyright",
        "usr/share/fish/vendor_completions.d/rpm.fish",
        "usr/share/zsh/vendor-completions/_rpm",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for page in committed_man_pages() {
        expected.insert(format!("usr/share/man/man1/{page}.gz"));
    }
    let listing = text(&run(Command::new("dpkg-deb").arg("--contents").arg(&deb)));
    let files: BTreeSet<String> = listing
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches("./").to_string())
        .collect();
    assert_eq!(files, expected, "the .deb's files");
    // bash-completion's package owns completions/rpm (the RPM tool's): never ours.
    assert!(
        !listing.contains("bash-completion/completions/rpm"),
        "{listing}"
    );

    // Installed with dpkg into an empty root, as a package it knows.
    let root = tmp.path().join("root");
    for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(dir)).expect("make dpkg's folders");
    }
    for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] {
        std::fs::write(root.join(file), "").expect("make dpkg's files");
    }
    let dpkg = |args: &[&str]| {
        let mut cmd = Command::new("dpkg");
        cmd.arg(format!("--root={}", root.display()))
            .arg("--log=/dev/null")
            .args(args);
        cmd
    };
    run(dpkg(&["--install"]).arg(&deb));
    let status = text(&run(&mut dpkg(&["--status", "rpm-pm"])));
    assert!(status.contains("Status: install ok installed"), "{status}");

    let version_line = text(&run(Command::new(root.join("usr/bin/rpm")).arg("--version")));
    assert_eq!(version_line, format!("rpm {}\n", version()));

    // What it installs is what the repository holds, generated from the same CLI.
    for (installed, committed) in [
        (
            "etc/bash_completion.d/rpm-pm",
            "packaging/completions/rpm.bash",
        ),
        (
            "usr/share/zsh/vendor-completions/_rpm",
            "packaging/completions/_rpm",
        ),
        (
            "usr/share/fish/vendor_completions.d/rpm.fish",
            "packaging/completions/rpm.fish",
        ),
        (
            "lib/systemd/system/rpm.service",
            "packaging/systemd/rpm.service",
        ),
    ] {
        assert!(
            read(&root.join(installed)) == read(&repo().join(committed)),
            "{installed} differs from {committed}"
        );
    }
    for page in committed_man_pages() {
        assert!(
            gunzip(&root.join("usr/share/man/man1").join(format!("{page}.gz")))
                == read(&repo().join("packaging/man").join(&page)),
            "the installed {page} differs from packaging/man/{page}"
        );
    }
    let copyright =
        String::from_utf8_lossy(&read(&root.join("usr/share/doc/rpm-pm/copyright"))).into_owned();
    assert!(
        copyright.contains("License: MIT\n MIT License\n"),
        "{copyright}"
    );

    // Purged, it leaves nothing behind (the bash script is a conffile).
    run(&mut dpkg(&["--purge", "rpm-pm"]));
    for file in expected {
        assert!(!root.join(&file).exists(), "{file} is left after purge");
    }
}

fn deb_arch() -> String {
    text(&run(Command::new("dpkg").arg("--print-architecture")))
        .trim()
        .to_string()
}

#[test]
fn the_rpm_package_installs_the_command_as_rpmpm_into_a_scratch_root() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let package = build("rpm", &tmp.path().join("out"));
    assert_eq!(
        package.file_name().and_then(|n| n.to_str()),
        Some(format!("rpm-pm-{}-1.x86_64.rpm", version()).as_str())
    );
    // `rpmquery` is the RPM tool's query mode by its own name: no PATH lookup of `rpm`
    // can pick the binary under test by mistake.
    let header = text(&run(Command::new("rpmquery")
        .args([
            "--package",
            "--queryformat",
            "%{NAME} %{VERSION} %{LICENSE}\\n",
        ])
        .arg(&package)));
    assert_eq!(header, format!("rpm-pm {} MIT\n", version()));

    let mut expected: BTreeSet<String> = [
        "/usr/bin/rpmpm",
        "/usr/lib/systemd/system/rpmpm.service",
        "/usr/share/bash-completion/completions/rpmpm",
        "/usr/share/doc/rpm-pm",
        "/usr/share/doc/rpm-pm/README.md",
        "/usr/share/fish/vendor_completions.d/rpmpm.fish",
        "/usr/share/licenses/rpm-pm",
        "/usr/share/licenses/rpm-pm/LICENSE",
        "/usr/share/zsh/site-functions/_rpmpm",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for page in committed_man_pages() {
        expected.insert(format!(
            "/usr/share/man/man1/{}.gz",
            page.replacen("rpm", "rpmpm", 1)
        ));
    }
    let listing = text(&run(Command::new("rpmquery")
        .args(["--list", "--package"])
        .arg(&package)));
    let files: BTreeSet<String> = listing.lines().map(String::from).collect();
    assert_eq!(files, expected, "the .rpm's files");

    // Installed by the RPM tool into an empty root of its own.
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).expect("make the root");
    run(Command::new("rpmdb")
        .arg(format!("--root={}", root.display()))
        .arg("--initdb"));
    install_rpm(&root, &package);

    let rpmpm = root.join("usr/bin/rpmpm");
    assert_eq!(
        text(&run(Command::new(&rpmpm).arg("--version"))),
        format!("rpmpm {}\n", version())
    );
    let help = text(&run(Command::new(&rpmpm).arg("--help")));
    assert!(
        help.contains("\nUsage: rpmpm [OPTIONS] <COMMAND>\n"),
        "{help}"
    );

    // Completions and man pages for the command rpmpm, not rpm.
    let bash = read(&root.join("usr/share/bash-completion/completions/rpmpm"));
    assert!(
        String::from_utf8_lossy(&bash)
            .contains("complete -F _rpmpm -o nosort -o bashdefault -o default rpmpm"),
        "the bash completion is not for rpmpm"
    );
    let zsh = read(&root.join("usr/share/zsh/site-functions/_rpmpm"));
    assert!(String::from_utf8_lossy(&zsh).starts_with("#compdef rpmpm\n"));
    let fish = read(&root.join("usr/share/fish/vendor_completions.d/rpmpm.fish"));
    assert!(String::from_utf8_lossy(&fish).contains("complete -c rpmpm "));
    let top = gunzip(&root.join("usr/share/man/man1/rpmpm.1.gz"));
    let top = String::from_utf8_lossy(&top);
    assert!(
        top.contains(&format!(".TH rpmpm 1  \"rpmpm {}\"", version())),
        "{top}"
    );

    // The unit runs the binary by its name here, and keeps its state out of the RPM
    // database's folder.
    let unit = String::from_utf8_lossy(&read(&root.join("usr/lib/systemd/system/rpmpm.service")))
        .into_owned();
    let committed = String::from_utf8_lossy(&read(&repo().join("packaging/systemd/rpm.service")))
        .replace(
            "ExecStart=/usr/bin/rpm daemon",
            "ExecStart=/usr/bin/rpmpm daemon",
        )
        .replace(
            "Environment=RPM_HOME=/var/lib/rpm\n",
            "Environment=RPM_HOME=/var/lib/rpmpm\n",
        )
        .replace("man:rpm(1)", "man:rpmpm(1)");
    assert_eq!(unit, committed);
    assert!(unit.contains("\nExecStart=/usr/bin/rpmpm daemon --foreground --resurrect\n"));
    assert!(!unit.contains("/var/lib/rpm\n"), "{unit}");

    // Erased, it leaves nothing behind.
    run(&mut rpm_erase(&root));
    for file in expected {
        assert!(
            !root.join(file.trim_start_matches('/')).exists(),
            "{file} is left after erase"
        );
    }
}

/// `rpm --root ROOT --install --nodeps PACKAGE` (a scratch root has no glibc or systemd
/// package to satisfy the distro's own dependencies), with the RPM tool found through
/// `rpmquery`, never by the name `rpm` on PATH.
fn install_rpm(root: &Path, package: &Path) {
    run(Command::new(rpm_tool())
        .arg(format!("--root={}", root.display()))
        .arg("--install")
        .arg(package));
}

fn rpm_erase(root: &Path) -> Command {
    let mut cmd = Command::new(rpm_tool());
    cmd.arg(format!("--root={}", root.display()))
        .args(["--erase", "rpm-pm"]);
    cmd
}

/// The RPM package manager: `rpmquery`'s target, which is `rpm` itself.
fn rpm_tool() -> PathBuf {
    let path = text(&run(Command::new("sh").args(["-c", "command -v rpmquery"])));
    let query = PathBuf::from(path.trim());
    std::fs::canonicalize(&query).unwrap_or_else(|e| panic!("resolve {}: {e}", query.display()))
}

#[test]
fn the_homebrew_formula_points_at_a_source_tarball_of_head_and_parses() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let out = tmp.path().join("out");
    let built = run(Command::new("bash")
        .arg(repo().join("packaging/build.sh"))
        .args(["brew", "--out"])
        .arg(&out));
    let formula = PathBuf::from(text(&built).lines().last().unwrap_or_default());
    assert_eq!(formula, out.join("rpm-pm.rb"));
    let tarball = out.join(format!("rpm-pm-{}.tar.gz", version()));
    let sum = text(&run(Command::new("sha256sum").arg(&tarball)));
    let sum = sum.split_whitespace().next().unwrap_or_default();

    let rendered = String::from_utf8_lossy(&read(&formula)).into_owned();
    let template =
        String::from_utf8_lossy(&read(&repo().join("packaging/homebrew/rpm-pm.rb"))).into_owned();
    let expected = template
        .replace("@URL@", &format!("file://{}", tarball.display()))
        .replace("@SHA256@", sum);
    assert_eq!(rendered, expected);
    assert!(!rendered.contains('@'), "{rendered}");

    // What `cargo install --locked --path .` needs from the tarball.
    let listing = text(&run(Command::new("tar").arg("-tzf").arg(&tarball)));
    let prefix = format!("rpm-pm-{}/", version());
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        ".cargo/config.toml",
        "README.md",
    ] {
        assert!(
            listing.lines().any(|l| l == format!("{prefix}{file}")),
            "{file} is not in the tarball"
        );
    }

    let checked = run(Command::new("ruby").arg("-c").arg(&formula));
    assert_eq!(text(&checked), "Syntax OK\n");
}
