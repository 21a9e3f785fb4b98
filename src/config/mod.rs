//! Ecosystem configuration: the resolved `AppSpec` the daemon runs, and (in the CLI)
//! everything that turns a user's command line or ecosystem file into `AppSpec`s.

mod attributes;
mod cron;
mod dotenv;
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
mod load;
#[cfg(test)]
mod load_tests;
mod node;
mod order;
mod report;
mod resolve;
mod sample;
mod schema;
mod shell_words;
mod signal;
pub mod spec;
mod suggest;
#[cfg(test)]
mod test_support;
mod toml_format;
mod units;
mod validate;
mod values;
mod yaml;

pub use error::{ConfigError, Problem, ProblemKind};
pub use load::{is_ecosystem_file, load_file, LoadOptions, Loaded};
pub use order::start_order;
pub use sample::{sample, SampleFormat};
pub use schema::schema_json;
pub use spec::{AppSpec, ExecMode, LogType};
pub use units::{parse_duration_ms, parse_size};
pub use validate::validate_app_name;
