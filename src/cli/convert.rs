//! `rpm convert FILE`: reads a supervisord `.conf`, a `Procfile` or a process-compose
//! YAML (`convert`), or rewrites a PM2 ecosystem file in another format, and writes an rpm ecosystem file to stdout or `--out FILE`, and lists
//! what had no equivalent on stderr.

use std::io::Write;
use std::path::Path;

use super::args::{ConvertArgs, ConvertFrom, ConvertTo};
use super::error::CliError;
use crate::config;
use crate::convert::{self, Format, Source};

pub fn convert(args: &ConvertArgs) -> Result<(), CliError> {
    let path = Path::new(&args.file);
    let is_process_compose = args.from == Some(ConvertFrom::ProcessCompose)
        || std::fs::read_to_string(path)
            .is_ok_and(|t| Source::detect(path, &t) == Some(Source::ProcessCompose));
    if args.from.is_none() && config::is_ecosystem_file(&args.file) && !is_process_compose {
        return rewrite_pm2_file(args);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", args.file)))?;
    let source = match args.from {
        Some(ConvertFrom::Supervisord) => Source::Supervisord,
        Some(ConvertFrom::Procfile) => Source::Procfile,
        Some(ConvertFrom::ProcessCompose) => Source::ProcessCompose,
        None => Source::detect(path, &text).ok_or_else(|| {
            CliError::Usage(format!(
                "{}: cannot tell the format from its name: add --from supervisord|procfile|process-compose (PM2 files need no conversion: rpm reads them as they are)",
                args.file
            ))
        })?,
    };
    let converted = convert::convert(source, &text).map_err(|e| match e {
        convert::ConvertError::Syntax { .. } => CliError::Usage(format!("{}:{e}", args.file)),
        other => CliError::Usage(format!("{}: {other}", args.file)),
    })?;
    let format = format_of(args.to);
    let mut header = vec![format!("Converted by `rpm convert` from {}.", args.file)];
    if !converted.notes.is_empty() {
        header.push("Not carried over (no rpm equivalent):".to_string());
        header.extend(converted.notes.iter().map(|n| format!("  {n}")));
    }
    let rendered = convert::render(&converted.apps, format, &header)
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.file)))?;
    write_out(args, &rendered)?;
    for note in &converted.notes {
        eprintln!("warning: {}:{note}", args.file);
    }
    Ok(())
}

fn format_of(to: ConvertTo) -> Format {
    match to {
        ConvertTo::Yaml => Format::Yaml,
        ConvertTo::Json => Format::Json,
        ConvertTo::Toml => Format::Toml,
    }
}

/// A PM2 ecosystem file (JSON, YAML, `ecosystem.config.js`): checked as `rpm validate`
/// checks it (its warnings name what rpm does not act on), then its apps rewritten as
/// written, in the `--to` format.
fn rewrite_pm2_file(args: &ConvertArgs) -> Result<(), CliError> {
    super::files::load(&args.file, None, &[], false)?;
    let opts = super::files::load_options(None, &[], false, std::env::vars().collect())?;
    let apps = config::read_app_objects(Path::new(&args.file), &opts)?;
    let apps: Vec<serde_json::Map<String, serde_json::Value>> = apps
        .into_iter()
        .filter_map(|a| match a {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .collect();
    let header = vec![format!("Converted by `rpm convert` from {}.", args.file)];
    let rendered = convert::render(&apps, format_of(args.to), &header)
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.file)))?;
    write_out(args, &rendered)
}

/// Writes the result to `--out` (a new file) or stdout.
fn write_out(args: &ConvertArgs, rendered: &str) -> Result<(), CliError> {
    match &args.out {
        Some(out) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(out);
            let mut file = match file {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(CliError::Failed(format!(
                        "{} already exists: remove it or choose another --out",
                        out.display()
                    )))
                }
                Err(e) => {
                    return Err(CliError::Failed(format!(
                        "cannot write {}: {e}",
                        out.display()
                    )))
                }
            };
            file.write_all(rendered.as_bytes())
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", out.display())))?;
        }
        None => std::io::stdout().lock().write_all(rendered.as_bytes())?,
    }
    Ok(())
}
