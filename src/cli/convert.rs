//! `rpm convert FILE`: reads a supervisord `.conf`, a `Procfile` or a process-compose
//! YAML (`convert`), writes an rpm ecosystem file to stdout or `--out FILE`, and lists
//! what had no equivalent on stderr.

use std::io::Write;
use std::path::Path;

use super::args::{ConvertArgs, ConvertFrom, ConvertTo};
use super::error::CliError;
use crate::convert::{self, Format, Source};

pub fn convert(args: &ConvertArgs) -> Result<(), CliError> {
    let path = Path::new(&args.file);
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
    let format = match args.to {
        ConvertTo::Yaml => Format::Yaml,
        ConvertTo::Json => Format::Json,
        ConvertTo::Toml => Format::Toml,
    };
    let mut header = vec![format!("Converted by `rpm convert` from {}.", args.file)];
    if !converted.notes.is_empty() {
        header.push("Not carried over (no rpm equivalent):".to_string());
        header.extend(converted.notes.iter().map(|n| format!("  {n}")));
    }
    let rendered = convert::render(&converted.apps, format, &header)
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.file)))?;
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
    for note in &converted.notes {
        eprintln!("warning: {}:{note}", args.file);
    }
    Ok(())
}
