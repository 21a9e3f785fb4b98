//! `schema_json()`: the JSON Schema of the ecosystem format, generated from the attribute
//! table that validation uses, so the two cannot drift. `schemas/ecosystem.schema.json`
//! is this output; a test fails when the committed file differs.

use serde_json::{json, Map, Value};

use super::attributes::{Effect, Kind, ATTRIBUTES};

/// The JSON Schema (draft-07) of an ecosystem file, pretty-printed with a final newline.
pub fn schema_json() -> String {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for a in ATTRIBUTES {
        let mut schema = kind_schema(a.kind);
        let description = match a.effect {
            Effect::Used => a.description.to_string(),
            Effect::Inert => format!(
                "Accepted for PM2 compatibility; has no effect in rpm ({})",
                a.description
            ),
            Effect::NotYet => format!("Not supported by rpm yet (ignored): {}", a.description),
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("description".into(), Value::String(description));
            if let Some(default) = a
                .default
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
            {
                obj.insert("default".into(), default);
            }
        }
        for alias in a.aliases {
            let mut alias_schema = kind_schema(a.kind);
            if let Some(obj) = alias_schema.as_object_mut() {
                obj.insert(
                    "description".into(),
                    Value::String(format!("Alias of `{}`", a.name)),
                );
            }
            properties.insert(alias.to_string(), alias_schema);
        }
        properties.insert(a.name.to_string(), schema);
        if a.required {
            required.push(a.name);
        }
    }
    let mut profile = kind_schema(Kind::Env);
    if let Some(obj) = profile.as_object_mut() {
        obj.insert(
            "description".into(),
            "Variables overlaid on `env` when started with --env <profile>".into(),
        );
    }
    let app = json!({
        "type": "object",
        "description": "One app: what to run and how to supervise it",
        "properties": properties,
        "patternProperties": { "^env_(?!file$).+$": profile },
        "required": required,
        "additionalProperties": false,
    });
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "rpm ecosystem file",
        "description": "Apps for rpm to run (PM2-compatible): an object with `apps`, a list of apps, or one app",
        "definitions": { "app": app },
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "apps": {
                        "description": "The apps, as a list or a single app object",
                        "anyOf": [
                            { "type": "array", "items": { "$ref": "#/definitions/app" } },
                            { "$ref": "#/definitions/app" }
                        ]
                    },
                    "deploy": {
                        "type": "object",
                        "description": "PM2's deploy section, kept as written and not used by rpm"
                    }
                },
                "required": ["apps"]
            },
            { "type": "array", "items": { "$ref": "#/definitions/app" } },
            { "$ref": "#/definitions/app" }
        ]
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn kind_schema(kind: Kind) -> Value {
    let whole = json!({ "type": "integer", "minimum": 0 });
    match kind {
        Kind::Str => json!({ "type": "string" }),
        Kind::Name => {
            json!({ "type": "string", "minLength": 1, "pattern": "^(?!\\.\\.?$)[^/\\u0000-\\u001f\\u007f]+$" })
        }
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Count => whole,
        Kind::Duration => {
            json!({ "anyOf": [whole, { "type": "string", "pattern": "^\\s*\\d+(ms|s|m|h)?\\s*$" }] })
        }
        Kind::Size => {
            json!({ "anyOf": [whole, { "type": "string", "pattern": "^\\s*\\d+([KkMmGgTt]?[Bb]?)\\s*$" }] })
        }
        Kind::Instances => json!({ "anyOf": [
            { "type": "integer", "minimum": -1 },
            { "const": "max" },
            { "type": "string", "pattern": "^\\s*-?\\d+\\s*$" }
        ] }),
        Kind::ExecMode => json!({ "enum": ["fork", "cluster", "fork_mode", "cluster_mode"] }),
        Kind::Args => {
            json!({ "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": ["string", "number"] } }] })
        }
        Kind::StrList | Kind::EnvFile | Kind::FilterEnv | Kind::Watch => {
            let mut any = vec![json!({ "type": "string" }), strings()];
            if matches!(kind, Kind::Watch | Kind::FilterEnv) {
                any.insert(0, json!({ "type": "boolean" }));
            }
            json!({ "anyOf": any })
        }
        Kind::Env => json!({
            "type": "object",
            "additionalProperties": { "type": ["string", "number", "boolean", "null"] }
        }),
        Kind::ExitCodes => {
            json!({ "anyOf": [{ "type": "integer" }, { "type": "array", "items": { "type": "integer" } }] })
        }
        Kind::Signal => json!({ "type": "string", "pattern": "^([Ss][Ii][Gg])?[A-Za-z0-9]+$" }),
        Kind::DateFormat => json!({ "type": "string" }),
        Kind::Cron => json!({ "type": "string", "pattern": "^\\s*\\S+(\\s+\\S+){4,5}\\s*$" }),
        Kind::LogType => json!({ "enum": ["raw", "json"] }),
        Kind::LogPath => {
            json!({ "anyOf": [{ "type": "string", "minLength": 1 }, { "const": false }] })
        }
        Kind::Port => {
            json!({ "oneOf": [{ "type": "integer", "minimum": 1, "maximum": 65535 }, { "type": "string", "minLength": 1 }] })
        }
        Kind::Id => json!({ "anyOf": [{ "type": "string", "minLength": 1 }, whole] }),
        Kind::Any => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_matches_the_attribute_table() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/ecosystem.schema.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == schema_json(),
            "{} is stale: regenerate it with `RPM_WRITE_SCHEMA=1 cargo test --lib config::schema`",
            path.display()
        );
    }

    /// Regenerates the committed schema when `RPM_WRITE_SCHEMA=1` is set.
    #[test]
    fn write_schema_when_asked() {
        if std::env::var_os("RPM_WRITE_SCHEMA").is_some() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas/ecosystem.schema.json");
            std::fs::create_dir_all(path.parent().expect("schemas/ has a parent"))
                .expect("create schemas/");
            std::fs::write(&path, schema_json()).expect("write schema");
        }
    }

    #[test]
    fn every_attribute_and_alias_is_described() {
        let schema: Value = serde_json::from_str(&schema_json()).expect("schema is JSON");
        let props = &schema["definitions"]["app"]["properties"];
        for a in ATTRIBUTES {
            assert!(props[a.name]["description"].is_string(), "{}", a.name);
            for alias in a.aliases {
                assert!(props[*alias]["description"].is_string(), "{alias}");
            }
        }
        assert_eq!(props["kill_timeout"]["default"], json!(1600));
        assert_eq!(schema["definitions"]["app"]["required"], json!(["script"]));
    }
}
