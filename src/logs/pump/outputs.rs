//! `Outputs`: where one instance's output goes, as the supervisor tells the pump.

use std::path::PathBuf;

use crate::logs::format::LineFormat;
use crate::logs::rotate::Rotation;

/// Where one instance's output goes.
#[derive(Debug, Clone)]
pub struct Outputs {
    pub format: LineFormat,
    pub out_file: PathBuf,
    pub error_file: PathBuf,
    /// Both streams also go here (`log_file`).
    pub log_file: Option<PathBuf>,
    pub rotation: Rotation,
    /// Where the writer indexes of files several instances share are kept
    /// (`RPM_HOME/logs/writers`); `None`: no index, lines are not attributed.
    pub writers: Option<PathBuf>,
}
