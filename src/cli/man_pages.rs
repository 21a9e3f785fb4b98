//! Man pages generated from the clap definitions: `rpm.1` and one page per subcommand
//! (`rpm-start.1`, `rpm-logs.1`, …), as clap_mangen renders them.
//!
//! `packaging/man/` holds the pages for the name `rpm`, committed, and a test fails when
//! they drift from the command line (`RPM_WRITE_MAN_PAGES=1 cargo test --lib man_pages`
//! rewrites them). `rpm man-pages DIR` writes them for the name it was invoked as, which
//! is how the .rpm package gets `rpmpm.1`, `rpmpm-start.1`, … Runs on the CLI's thread.

use std::path::Path;

use super::error::CliError;

/// One generated page: its file name (`rpm-start.1`) and its roff text.
#[derive(Debug, PartialEq, Eq)]
pub struct ManPage {
    pub file_name: String,
    pub roff: Vec<u8>,
}

/// The pages of the command line for the command `name`: the top page first, then one per
/// visible subcommand in the order `--help` lists them.
pub fn man_pages(name: &'static str) -> Vec<ManPage> {
    // As clap_mangen's own generate_to: no page for clap's `help` subcommand.
    use clap::CommandFactory;
    let top = super::args::Cli::command()
        .name(name)
        .bin_name(name)
        .disable_help_subcommand(true);
    let mut top = super::invoked::retargeted(top, name);
    top.build();
    // Every page's footer names the program and its version ("rpm 0.1.0"); clap_mangen
    // would put the subcommand's own name and no version there.
    let source = format!("{name} {}", top.get_version().unwrap_or_default());
    let mut pages = vec![render(top.clone(), &source)];
    pages.extend(
        top.get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| render(sub.clone(), &source)),
    );
    pages
}

fn render(command: clap::Command, source: &str) -> ManPage {
    let man = clap_mangen::Man::new(command).source(source);
    let mut roff = Vec::new();
    man.render(&mut roff)
        .expect("rendering into a Vec<u8> cannot fail: writing to memory has no I/O error");
    ManPage {
        file_name: man.get_filename(),
        roff,
    }
}

/// `rpm man-pages DIR`: writes the pages for the invoked name into `dir` (made if
/// missing) and lists the files written.
pub fn write_man_pages(dir: &Path, name: &'static str) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::Failed(format!("cannot create the folder {}: {e}", dir.display()))
    })?;
    for page in man_pages(name) {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff)
            .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed pages are what the binary generates, and no page is left over from
    /// a subcommand that went away. `RPM_WRITE_MAN_PAGES=1 cargo test --lib man_pages`
    /// rewrites them.
    #[test]
    fn committed_man_pages_match_the_command_line() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/man");
        let pages = man_pages("rpm");
        if std::env::var_os("RPM_WRITE_MAN_PAGES").is_some() {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).expect("remove packaging/man");
            }
            std::fs::create_dir_all(&dir).expect("create packaging/man");
            for page in &pages {
                std::fs::write(dir.join(&page.file_name), &page.roff).expect("write a page");
            }
        }
        let regenerate = "regenerate with `RPM_WRITE_MAN_PAGES=1 cargo test --lib man_pages`";
        for page in &pages {
            let path = dir.join(&page.file_name);
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == page.roff,
                "{} is stale: {regenerate}",
                path.display()
            );
        }
        let mut committed: Vec<String> = std::fs::read_dir(&dir)
            .expect("read packaging/man")
            .map(|e| {
                e.expect("list packaging/man")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        committed.sort();
        let mut generated: Vec<String> = pages.iter().map(|p| p.file_name.clone()).collect();
        generated.sort();
        assert_eq!(
            committed, generated,
            "packaging/man has other pages: {regenerate}"
        );
    }

    #[test]
    fn pages_are_named_for_the_command_and_each_subcommand() {
        let pages = man_pages("rpmpm");
        let names: Vec<&str> = pages.iter().map(|p| p.file_name.as_str()).collect();
        assert_eq!(names[0], "rpmpm.1");
        for expected in ["rpmpm-start.1", "rpmpm-logs.1", "rpmpm-man-pages.1"] {
            assert!(names.contains(&expected), "{expected} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
        let top = String::from_utf8_lossy(&pages[0].roff);
        assert!(top.contains(".TH rpmpm 1"), "{top}");
        assert!(top.contains("rpmpm\\-start(1)"), "{top}");
        assert!(
            !top.contains(" rpm\\-") && !top.contains("\n.TH rpm "),
            "{top}"
        );
        let start = pages
            .iter()
            .find(|p| p.file_name == "rpmpm-start.1")
            .expect("a start page");
        let start = String::from_utf8_lossy(&start.roff);
        let title = format!(".TH rpmpm-start 1  \"rpmpm {}\"", env!("CARGO_PKG_VERSION"));
        assert!(start.contains(&title), "{start}");
        assert!(start.contains("\\fBrpmpm start\\fR"), "{start}");
        assert!(start.contains("\\-\\-max\\-memory\\-restart"), "{start}");
    }
}
