//! The pure parts of `startup`: detection, value resolution and checks, the plans, and
//! the system-wide unit the distro packages ship.

use std::path::{Path, PathBuf};

use super::*;

fn account(name: &str, uid: u32, home: &str) -> Account {
    Account {
        name: name.to_string(),
        uid,
        gid: uid,
        group: name.to_string(),
        home: PathBuf::from(home),
    }
}

fn host(euid: u32, rpm_home: Option<&str>) -> Host {
    Host {
        euid,
        rpm_bin: PathBuf::from("/usr/bin/rpm"),
        path: Some("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()),
        rpm_home: rpm_home.map(PathBuf::from),
        home: Some(PathBuf::from("/home/from-env")),
        cwd: PathBuf::from("/work"),
    }
}

fn resolve(system: InitSystem, request: &Request, host: &Host) -> Result<Boot, StartupError> {
    let known = |name: &str| match name {
        "root" => Ok(account("root", 0, "/root")),
        "alice" => Ok(account("alice", 1000, "/home/alice")),
        other => Err(StartupError::UnknownUser {
            name: other.to_string(),
        }),
    };
    let by_uid = |uid: u32| match uid {
        0 => Ok(account("root", 0, "/root")),
        _ => Ok(account("alice", 1000, "/home/alice")),
    };
    Boot::resolve(system, request, host, known, by_uid)
}

fn alice(system: InitSystem) -> Boot {
    let request = Request {
        user: Some("alice".into()),
        ..Request::default()
    };
    resolve(system, &request, &host(0, None)).expect("alice resolves")
}

#[test]
fn detection_prefers_what_pm2_does() {
    let none = Observations::default();
    let rows = [
        (none, None),
        (
            Observations {
                init_d: true,
                ..none
            },
            Some(InitSystem::Systemv),
        ),
        (
            Observations {
                init_d: true,
                run_systemd: true,
                ..none
            },
            Some(InitSystem::Systemd),
        ),
        (
            Observations {
                init_d: true,
                openrc: true,
                ..none
            },
            Some(InitSystem::Openrc),
        ),
        (
            Observations {
                init_d: true,
                upstart: true,
                ..none
            },
            Some(InitSystem::Upstart),
        ),
        (
            Observations {
                rc_subr: true,
                ..none
            },
            Some(InitSystem::Rcd),
        ),
        (
            Observations {
                launchctl: true,
                ..none
            },
            Some(InitSystem::Launchd),
        ),
    ];
    for (seen, want) in rows {
        assert_eq!(detect(seen), want, "{seen:?}");
    }
}

#[test]
fn rpm_home_is_resolved_as_pm2_resolves_pm2_home() {
    let rows: [(Request, Option<&str>, &str, &str); 4] = [
        (
            Request {
                user: Some("alice".into()),
                ..Request::default()
            },
            None,
            "/home/alice",
            "/home/alice/.rpm",
        ),
        (
            Request {
                user: Some("alice".into()),
                home_dir: Some("/srv/alice".into()),
                ..Request::default()
            },
            None,
            "/srv/alice",
            "/srv/alice/.rpm",
        ),
        (
            Request {
                home_dir: Some("relative".into()),
                ..Request::default()
            },
            Some("state"),
            "/work/relative",
            "/work/state",
        ),
        (
            Request::default(),
            None,
            "/home/from-env",
            "/home/from-env/.rpm",
        ),
    ];
    for (request, rpm_home, want_home, want_rpm_home) in rows {
        let boot = resolve(InitSystem::Systemd, &request, &host(0, rpm_home)).expect("resolves");
        assert_eq!(boot.user_home, want_home, "{request:?}");
        assert_eq!(boot.rpm_home, want_rpm_home, "{request:?}");
    }
}

#[test]
fn default_service_names() {
    assert_eq!(alice(InitSystem::Systemd).service_name, "rpm-alice");
    assert_eq!(alice(InitSystem::Launchd).service_name, "rpm.alice");
    assert_eq!(alice(InitSystem::Rcd).service_name, "rpm_alice");
    assert_eq!(InitSystem::Rcd.default_service_name("a.b-c"), "rpm_a_b_c");
}

#[test]
fn bad_names_and_values_are_refused_before_anything_is_written() {
    let with = |user: Option<&str>, name: Option<&str>| Request {
        user: user.map(str::to_string),
        service_name: name.map(str::to_string),
        ..Request::default()
    };
    let rows = [
        (with(Some("x$(touch /tmp/p)"), None), "invalid user name"),
        (with(Some("bob"), None), "no user \"bob\""),
        (with(None, Some("a;reboot")), "invalid service name"),
        (with(None, Some("../../etc/passwd")), "invalid service name"),
    ];
    for (request, want) in rows {
        let err = resolve(InitSystem::Systemd, &request, &host(0, None))
            .expect_err("refused")
            .to_string();
        assert!(err.contains(want), "{err}");
    }
    let err = resolve(
        InitSystem::Systemd,
        &Request::default(),
        &host(0, Some("/a\nExecStartPre=/bin/evil")),
    )
    .expect_err("a newline is refused")
    .to_string();
    assert!(err.contains("control character"), "{err}");
    let mut quoted_bin = host(0, None);
    quoted_bin.rpm_bin = PathBuf::from("/opt/it's/rpm");
    assert!(resolve(InitSystem::Systemd, &Request::default(), &quoted_bin).is_err());
    assert!(
        resolve(InitSystem::Systemv, &Request::default(), &quoted_bin).is_ok(),
        "sh quotes a quote"
    );
}

#[test]
fn the_packaged_unit_is_the_rendered_unit_for_root() {
    let boot = resolve(
        InitSystem::Systemd,
        &Request {
            user: Some("root".into()),
            service_name: Some("rpm".into()),
            ..Request::default()
        },
        &host(0, Some("/var/lib/rpm")),
    )
    .expect("root resolves");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/systemd/rpm.service");
    let packaged = std::fs::read_to_string(&path).expect("packaging/systemd/rpm.service");
    assert_eq!(
        packaged,
        render(&boot),
        "packaging/systemd/rpm.service differs from `rpm startup systemd` for root and /var/lib/rpm"
    );
}

#[test]
fn a_user_unit_runs_as_the_user() {
    let unit = render(&alice(InitSystem::Systemd));
    for line in [
        "Description=rpm process manager for alice",
        "Type=notify",
        "User=alice",
        "Group=alice",
        "Environment=RPM_HOME=/home/alice/.rpm",
        "ExecStart=/usr/bin/rpm daemon --foreground --resurrect",
        "KillMode=process",
        "Restart=on-failure",
        "WantedBy=multi-user.target",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing in\n{unit}");
    }
}

fn paths(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| match s {
            Step::Write { path, mode, .. } => format!("write {} {mode:o}", path.display()),
            Step::Link { path, target } => {
                format!("link {} -> {}", path.display(), target.display())
            }
            Step::Remove { path } => format!("remove {}", path.display()),
            Step::RcVar { file, name, value } => {
                format!("rcvar {} {name}={value:?}", file.display())
            }
            Step::Run { argv } => format!("run {}", argv.join(" ")),
            Step::Note(text) => format!("note {text}"),
        })
        .collect()
}

#[test]
fn install_plans_per_system_and_target() {
    let live = Target::Live {
        update_rc_d: true,
        euid: 0,
    };
    let rows: &[(InitSystem, Target, &[&str])] = &[
        (
            InitSystem::Systemd,
            live,
            &[
                "write /etc/systemd/system/rpm-alice.service 644",
                "run systemctl daemon-reload",
                "run systemctl enable rpm-alice.service",
            ],
        ),
        (
            InitSystem::Systemd,
            Target::Root,
            &[
                "write /etc/systemd/system/rpm-alice.service 644",
                "link /etc/systemd/system/multi-user.target.wants/rpm-alice.service -> /etc/systemd/system/rpm-alice.service",
            ],
        ),
        (
            InitSystem::Openrc,
            Target::Root,
            &[
                "write /etc/init.d/rpm-alice 755",
                "link /etc/runlevels/default/rpm-alice -> /etc/init.d/rpm-alice",
            ],
        ),
        (
            InitSystem::Upstart,
            Target::Root,
            &["write /etc/init/rpm-alice.conf 644"],
        ),
        (
            InitSystem::Systemv,
            Target::Live {
                update_rc_d: false,
                euid: 0,
            },
            &[
                "write /etc/init.d/rpm-alice 755",
                "run chkconfig --add rpm-alice",
                "run chkconfig rpm-alice on",
            ],
        ),
        (
            InitSystem::Rcd,
            live,
            &[
                "write /usr/local/etc/rc.d/rpm_alice 755",
                "run sysrc rpm_alice_enable=YES",
            ],
        ),
        (
            InitSystem::Rcd,
            Target::Root,
            &[
                "write /usr/local/etc/rc.d/rpm_alice 755",
                "rcvar /etc/rc.conf rpm_alice_enable=Some(\"YES\")",
            ],
        ),
        (
            InitSystem::Launchd,
            Target::Live {
                update_rc_d: false,
                euid: 1000,
            },
            &[
                "write /home/alice/Library/LaunchAgents/rpm.alice.plist 644",
                "run launchctl load -w /home/alice/Library/LaunchAgents/rpm.alice.plist",
            ],
        ),
    ];
    for (system, target, want) in rows {
        assert_eq!(
            paths(&plan_install(&alice(*system), *target)),
            *want,
            "{system:?} {target:?}"
        );
    }
    let sysv = paths(&plan_install(&alice(InitSystem::Systemv), Target::Root));
    assert_eq!(sysv.len(), 8);
    assert!(sysv.contains(&"link /etc/rc2.d/S01rpm-alice -> ../init.d/rpm-alice".to_string()));
    assert!(sysv.contains(&"link /etc/rc6.d/K01rpm-alice -> ../init.d/rpm-alice".to_string()));
    let launchd_as_root = paths(&plan_install(&alice(InitSystem::Launchd), live));
    assert!(launchd_as_root[1].starts_with("note as alice, load it now with: launchctl load -w"));
}

#[test]
fn uninstall_plans_undo_the_install() {
    let live = Target::Live {
        update_rc_d: true,
        euid: 0,
    };
    let rows: &[(InitSystem, Target, &[&str])] = &[
        (
            InitSystem::Systemd,
            live,
            &[
                "run systemctl disable rpm-alice.service",
                "remove /etc/systemd/system/rpm-alice.service",
                "run systemctl daemon-reload",
            ],
        ),
        (
            InitSystem::Systemd,
            Target::Root,
            &[
                "remove /etc/systemd/system/multi-user.target.wants/rpm-alice.service",
                "remove /etc/systemd/system/rpm-alice.service",
            ],
        ),
        (
            InitSystem::Systemv,
            live,
            &[
                "run update-rc.d -f rpm-alice remove",
                "remove /etc/init.d/rpm-alice",
            ],
        ),
        (
            InitSystem::Openrc,
            live,
            &[
                "run rc-update del rpm-alice default",
                "remove /etc/init.d/rpm-alice",
            ],
        ),
        (
            InitSystem::Rcd,
            Target::Root,
            &[
                "rcvar /etc/rc.conf rpm_alice_enable=None",
                "remove /usr/local/etc/rc.d/rpm_alice",
            ],
        ),
    ];
    for (system, target, want) in rows {
        assert_eq!(
            paths(&plan_uninstall(&alice(*system), *target)),
            *want,
            "{system:?} {target:?}"
        );
    }
    for system in [
        InitSystem::Systemd,
        InitSystem::Launchd,
        InitSystem::Openrc,
        InitSystem::Upstart,
        InitSystem::Systemv,
        InitSystem::Rcd,
    ] {
        let offline = plan_install(&alice(system), Target::Root)
            .into_iter()
            .chain(plan_uninstall(&alice(system), Target::Root));
        assert!(
            offline.into_iter().all(|s| !matches!(s, Step::Run { .. })),
            "{system:?}: nothing runs under --root"
        );
    }
}
