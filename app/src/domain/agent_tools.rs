//! The tools an agent may call over its linked datasets, as the model sees
//! them (OpenAI `tools` definitions) and as the portal checks their
//! arguments: `describe_dataset` (schema, statistics, card excerpt) and
//! `query_dataset` (columns or a group-by with aggregates, filters, order,
//! at most [`MAX_ROWS`] rows). A query names columns; it is checked against
//! the file's columns and their types here and becomes a [`TableQuery`] by
//! column number, which the database function `dataset_table_query` checks
//! again and writes as SQL itself. The model never writes SQL.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::agents::Tool;
use super::viewer::{cell_value, ColumnKind};

/// Model calls one message may make: the first, and one more after each
/// round of tool results. The last is offered no tools, so it answers.
pub const MAX_STEPS: usize = 4;

/// The most rows a query returns.
pub const MAX_ROWS: u32 = 200;

/// Rows a query returns when it does not say.
pub const DEFAULT_ROWS: u32 = 50;

/// The most values a query selects.
const MAX_OUTPUTS: usize = 50;

/// The `tools` of a request for an agent with `tools` over the datasets
/// `datasets` (slugs).
pub fn definitions(tools: &[Tool], datasets: &[String]) -> Value {
    let dataset = json!({
        "type": "string",
        "enum": datasets,
        "description": "The dataset's slug.",
    });
    let definitions: Vec<Value> = tools
        .iter()
        .map(|tool| match tool {
            Tool::DescribeDataset => json!({
                "type": "function",
                "function": {
                    "name": tool.as_str(),
                    "description": "Describe a dataset: its files, each file's columns with their types and statistics (missing values, distinct values, range, mean, most common values), and an excerpt of its card.",
                    "parameters": {
                        "type": "object",
                        "properties": {"dataset": dataset},
                        "required": ["dataset"],
                        "additionalProperties": false,
                    },
                },
            }),
            Tool::QueryDataset => json!({
                "type": "function",
                "function": {
                    "name": tool.as_str(),
                    "description": "Read rows of a dataset's file: chosen columns, or counts, sums, means, minimums and maximums grouped by columns; filtered, ordered, at most 200 rows.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "dataset": dataset,
                            "file": {"type": "string", "description": "The file's name; the first tabular file when left out."},
                            "columns": {"type": "array", "items": {"type": "string"}, "description": "Columns to return (without aggregates)."},
                            "filters": {"type": "array", "items": {
                                "type": "object",
                                "properties": {
                                    "column": {"type": "string"},
                                    "op": {"type": "string", "enum": ["=", "!=", "<", "<=", ">", ">=", "contains", "is_null", "not_null"]},
                                    "value": {"type": ["string", "number", "boolean"]},
                                },
                                "required": ["column", "op"],
                                "additionalProperties": false,
                            }},
                            "group_by": {"type": "array", "items": {"type": "string"}},
                            "aggregates": {"type": "array", "items": {
                                "type": "object",
                                "properties": {
                                    "fn": {"type": "string", "enum": ["count", "sum", "mean", "min", "max"]},
                                    "column": {"type": "string"},
                                },
                                "required": ["fn"],
                                "additionalProperties": false,
                            }},
                            "order_by": {"type": "array", "items": {
                                "type": "object",
                                "properties": {
                                    "column": {"type": "string", "description": "A returned column, or an aggregate as `count` or `mean(column)`."},
                                    "desc": {"type": "boolean"},
                                },
                                "required": ["column"],
                                "additionalProperties": false,
                            }},
                            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                        },
                        "required": ["dataset"],
                        "additionalProperties": false,
                    },
                },
            }),
        })
        .collect();
    Value::Array(definitions)
}

/// `describe_dataset`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribeArgs {
    pub dataset: String,
}

/// `query_dataset`'s arguments.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    pub dataset: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
    #[serde(default)]
    pub order_by: Vec<OrderBy>,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub column: String,
    pub op: String,
    #[serde(default)]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    #[serde(rename = "fn")]
    pub function: String,
    #[serde(default)]
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBy {
    pub column: String,
    #[serde(default)]
    pub desc: bool,
}

/// A column of the file queried: its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// A checked query, by column number (from 1), as `dataset_table_query`
/// reads it, with the names of the values it returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableQuery {
    pub select: Vec<Value>,
    #[serde(rename = "where")]
    pub filters: Vec<Value>,
    pub group: Vec<usize>,
    pub order: Vec<Value>,
    pub limit: u32,
    #[serde(skip)]
    pub outputs: Vec<String>,
}

/// Parses a tool call's `arguments` (a JSON text) as `T`, with a message
/// the model can act on when they do not fit.
pub fn parse_args<T: for<'de> Deserialize<'de>>(arguments: &str) -> Result<T, String> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(arguments).map_err(|e| format!("the arguments do not fit the tool: {e}"))
}

/// Checks `args` against the file's `columns`: every column named exists,
/// every aggregate fits its column, every filter value is of its column's
/// type, the order names a returned value, the limit is at most
/// [`MAX_ROWS`].
pub fn plan(args: &QueryArgs, columns: &[FileColumn]) -> Result<TableQuery, String> {
    let find = |name: &str| -> Result<(usize, &FileColumn), String> {
        columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
            .or_else(|| {
                columns
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.name.eq_ignore_ascii_case(name))
            })
            .map(|(i, c)| (i + 1, c))
            .ok_or_else(|| {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                format!(
                    "there is no column `{name}`; the columns are: {}",
                    names.join(", ")
                )
            })
    };
    let mut select = Vec::new();
    let mut outputs = Vec::new();
    let mut group = Vec::new();
    let aggregated = !args.aggregates.is_empty() || !args.group_by.is_empty();
    if aggregated {
        for name in &args.group_by {
            let (number, column) = find(name)?;
            group.push(number);
            select.push(json!({"col": number}));
            outputs.push(column.name.clone());
        }
        for aggregate in &args.aggregates {
            let function = aggregate.function.as_str();
            match (function, &aggregate.column) {
                ("count", _) => {
                    select.push(json!({"agg": "count"}));
                    outputs.push("count".to_owned());
                }
                ("sum" | "mean" | "min" | "max", Some(name)) => {
                    let (number, column) = find(name)?;
                    if matches!(function, "sum" | "mean")
                        && !matches!(column.kind, ColumnKind::Integer | ColumnKind::Number)
                    {
                        return Err(format!(
                            "{function} needs a numeric column; `{}` is {}",
                            column.name,
                            column.kind.as_str()
                        ));
                    }
                    select.push(json!({"agg": function, "col": number}));
                    let output = format!("{function}({})", column.name);
                    outputs.push(output);
                }
                ("sum" | "mean" | "min" | "max", None) => {
                    return Err(format!("{function} needs a column"));
                }
                (other, _) => {
                    return Err(format!(
                        "`{other}` is not an aggregate: use count, sum, mean, min or max"
                    ));
                }
            }
        }
    } else if args.columns.is_empty() {
        for (i, column) in columns.iter().enumerate().take(MAX_OUTPUTS) {
            select.push(json!({"col": i + 1}));
            outputs.push(column.name.clone());
        }
    } else {
        for name in &args.columns {
            let (number, column) = find(name)?;
            select.push(json!({"col": number}));
            outputs.push(column.name.clone());
        }
    }
    if select.is_empty() || select.len() > MAX_OUTPUTS {
        return Err(format!("return 1 to {MAX_OUTPUTS} values"));
    }
    let mut filters = Vec::new();
    for filter in &args.filters {
        let (number, column) = find(&filter.column)?;
        let op = filter.op.as_str();
        match op {
            "is_null" | "not_null" => filters.push(json!({"col": number, "op": op})),
            "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" => {
                let raw = match &filter.value {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::Bool(b)) => b.to_string(),
                    _ => return Err(format!("the filter on `{}` needs a value", column.name)),
                };
                let value = if op == "contains" {
                    raw
                } else {
                    cell_value(column.kind, &raw).ok_or_else(|| {
                        format!(
                            "`{raw}` is not a value of `{}`: it needs {}",
                            column.name,
                            column.kind.expected()
                        )
                    })?
                };
                filters.push(json!({"col": number, "op": op, "value": value}));
            }
            other => {
                return Err(format!(
                    "`{other}` is not an operator: use =, !=, <, <=, >, >=, contains, is_null or not_null"
                ))
            }
        }
    }
    let mut order = Vec::new();
    for by in &args.order_by {
        let position = outputs
            .iter()
            .position(|o| *o == by.column)
            .or_else(|| {
                outputs
                    .iter()
                    .position(|o| o.eq_ignore_ascii_case(&by.column))
            })
            .ok_or_else(|| format!("order by a returned value: one of {}", outputs.join(", ")))?;
        order.push(json!({"out": position + 1, "desc": by.desc}));
    }
    let limit = args.limit.unwrap_or(DEFAULT_ROWS);
    if limit == 0 || limit > MAX_ROWS {
        return Err(format!("the limit is 1 to {MAX_ROWS} rows"));
    }
    Ok(TableQuery {
        select,
        filters,
        group,
        order,
        limit,
        outputs,
    })
}

/// A tool call as a model made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    /// As an assistant message's `tool_calls` entry.
    pub fn to_wire(&self) -> Value {
        json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        })
    }

    /// From a saved `tool_calls` entry.
    pub fn from_wire(value: &Value) -> Option<Self> {
        Some(Self {
            id: value.get("id")?.as_str()?.to_owned(),
            name: value.pointer("/function/name")?.as_str()?.to_owned(),
            arguments: value
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        })
    }
}

/// Tool calls streamed in pieces (`delta.tool_calls`), put together.
#[derive(Debug, Clone, Default)]
pub struct ToolCallParts {
    calls: Vec<ToolCall>,
}

impl ToolCallParts {
    /// Adds one chunk's `delta.tool_calls`.
    pub fn add(&mut self, deltas: &Value) {
        let Some(deltas) = deltas.as_array() else {
            return;
        };
        for delta in deltas {
            let index = delta
                .get("index")
                .and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(self.calls.len().saturating_sub(1));
            if index >= 16 {
                continue;
            }
            while self.calls.len() <= index {
                self.calls.push(ToolCall::default());
            }
            let call = &mut self.calls[index];
            if let Some(id) = delta.get("id").and_then(Value::as_str) {
                call.id.push_str(id);
            }
            if let Some(name) = delta.pointer("/function/name").and_then(Value::as_str) {
                call.name.push_str(name);
            }
            if let Some(arguments) = delta.pointer("/function/arguments").and_then(Value::as_str) {
                call.arguments.push_str(arguments);
            }
        }
    }

    /// The calls, each with an id.
    pub fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .enumerate()
            .filter(|(_, c)| !c.name.is_empty())
            .map(|(i, mut c)| {
                if c.id.is_empty() {
                    c.id = format!("call_{i}");
                }
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flights() -> Vec<FileColumn> {
        [
            ("origin", ColumnKind::String),
            ("dep_delay", ColumnKind::Number),
            ("month", ColumnKind::Integer),
            ("day", ColumnKind::Date),
        ]
        .into_iter()
        .map(|(name, kind)| FileColumn {
            name: name.to_owned(),
            kind,
        })
        .collect()
    }

    fn args(json: &str) -> QueryArgs {
        parse_args(json).expect("arguments")
    }

    #[test]
    fn a_group_by_returns_its_columns_then_its_aggregates() {
        let query = plan(
            &args(
                r#"{"dataset": "nycflights13", "group_by": ["origin"],
                    "aggregates": [{"fn": "count"}, {"fn": "mean", "column": "dep_delay"}],
                    "filters": [{"column": "month", "op": ">=", "value": 6}],
                    "order_by": [{"column": "mean(dep_delay)", "desc": true}], "limit": 3}"#,
            ),
            &flights(),
        )
        .expect("a query");
        assert_eq!(query.outputs, ["origin", "count", "mean(dep_delay)"]);
        assert_eq!(
            serde_json::to_value(&query).expect("json"),
            json!({"select": [{"col": 1}, {"agg": "count"}, {"agg": "mean", "col": 2}],
                   "where": [{"col": 3, "op": ">=", "value": "6"}],
                   "group": [1], "order": [{"out": 3, "desc": true}], "limit": 3})
        );
    }

    #[test]
    fn every_column_by_default_and_values_of_their_type() {
        let query = plan(&args(r#"{"dataset": "x"}"#), &flights()).expect("all");
        assert_eq!(query.outputs.len(), 4);
        assert_eq!(query.limit, DEFAULT_ROWS);
        let bad = |json: &str| plan(&args(json), &flights()).expect_err("refused");
        assert!(bad(r#"{"dataset": "x", "columns": ["nope"]}"#).contains("the columns are: origin"));
        assert!(bad(
            r#"{"dataset": "x", "filters": [{"column": "month", "op": "=", "value": "June"}]}"#
        )
        .contains("a whole number"));
        assert!(bad(
            r#"{"dataset": "x", "filters": [{"column": "month", "op": "like", "value": 1}]}"#
        )
        .contains("not an operator"));
        assert!(
            bad(r#"{"dataset": "x", "aggregates": [{"fn": "sum", "column": "origin"}]}"#)
                .contains("numeric")
        );
        assert!(
            bad(r#"{"dataset": "x", "aggregates": [{"fn": "median", "column": "month"}]}"#)
                .contains("not an aggregate")
        );
        assert!(bad(r#"{"dataset": "x", "limit": 201}"#).contains("1 to 200"));
        assert!(bad(
            r#"{"dataset": "x", "columns": ["origin"], "order_by": [{"column": "month"}]}"#
        )
        .contains("order by a returned value"));
        assert!(
            parse_args::<QueryArgs>(r#"{"dataset": "x", "sql": "drop table"}"#)
                .expect_err("unknown field")
                .contains("unknown field")
        );
    }

    #[test]
    fn streamed_tool_calls_are_put_together() {
        let mut parts = ToolCallParts::default();
        parts.add(&json!([{"index": 0, "id": "call_a", "type": "function",
                           "function": {"name": "query_dataset", "arguments": ""}}]));
        parts.add(&json!([{"index": 0, "function": {"arguments": "{\"dataset\":"}}]));
        parts.add(&json!([{"index": 0, "function": {"arguments": "\"x\"}"}}]));
        let calls = parts.finish();
        assert_eq!(
            calls,
            [ToolCall {
                id: "call_a".to_owned(),
                name: "query_dataset".to_owned(),
                arguments: "{\"dataset\":\"x\"}".to_owned(),
            }]
        );
        assert_eq!(
            ToolCall::from_wire(&calls[0].to_wire()),
            Some(calls[0].clone())
        );
    }

    #[test]
    fn definitions_name_the_linked_datasets() {
        let tools = definitions(&Tool::ALL, &["nycflights13".to_owned()]);
        assert_eq!(tools.as_array().map(Vec::len), Some(2));
        assert_eq!(
            tools.pointer("/1/function/parameters/properties/dataset/enum/0"),
            Some(&json!("nycflights13"))
        );
    }
}
