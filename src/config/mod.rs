//! Ecosystem configuration: the resolved `AppSpec` the daemon runs, and (in the CLI)
//! everything that turns a user's command line or ecosystem file into `AppSpec`s.
//!
//! `load_file` is the pipeline: the file is parsed by extension (`lenient_json`, `yaml`,
//! `toml_format`, `js` through `node`) into one spanned tree (`node`), the apps are found
//! in any top-level shape PM2 accepts (`load`), each app is checked against the one
//! attribute table (`attributes`, `values`, `validate`; the date and cron grammars are in
//! `date_format` and `cron`), names, profiles, `--only` and `depends_on` are checked
//! across apps, and the selected apps are resolved where the user stands (`resolve`,
//! `dotenv`, `interpreter`). Every problem is collected (`report`) and returned together
//! as a `ConfigError`. `schema_json` is generated from the same table. Nothing here runs
//! in the daemon except the `AppSpec` type itself, the types of its fields (`StopSignal`;
//! `Duration`s written as milliseconds by `duration_ms`), `SavedSpec` (the lenient
//! reading of specs that `state.json` needs) and `DateFormat`, parsed when an instance's
//! log lines get their timestamp format.

mod attributes;
#[cfg(test)]
pub(crate) mod compat_tests;
mod cron;
mod date_format;
mod dotenv;
pub mod duration_ms;
pub mod env_origin;
mod error;
#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod fuzz_tests;
pub mod interpreter;
mod js;
mod lenient_json;
pub mod listen;
mod load;
#[cfg(test)]
mod load_tests;
mod node;
mod order;
mod report;
mod resolve;
mod sample;
mod saved_spec;
mod schema;
pub(crate) mod shell_words;
pub mod signal;
pub mod spec;
mod suggest;
#[cfg(test)]
mod test_support;
mod toml_format;
pub(crate) mod units;
mod validate;
mod values;
pub mod wrapper;
mod yaml;

pub use cron::{validate_cron, CronExpr};
pub use date_format::{DateFormat, DateFormatError, DateToken};
pub use error::{ConfigError, Problem, ProblemKind};
pub use listen::Listen;
pub use load::{
    is_ecosystem_file, load_file, load_json_text, read_app_objects, LoadOptions, Loaded,
};
pub use order::start_order;
pub use sample::{sample, SampleFormat};
pub use saved_spec::SavedSpec;
pub use schema::schema_json;
pub use signal::{parse_signal, StopSignal};
pub use spec::{AppSpec, ExecMode, LogType};
pub use units::{parse_duration, parse_duration_ms, parse_size};
pub use validate::validate_app_name;
pub use values::parse_instances;
