//! A dataset described for machines: schema.org `Dataset` for its page (what
//! search engines read) and Croissant 1.0 (MLCommons; what ML tooling
//! loads), with a `FileObject` per file (its URL and SHA-256) and a
//! `RecordSet` of typed `Field`s per tabular file.

use serde_json::{json, Map, Value};

use super::ingest::hex;
use crate::domain::datasets::Format;
use crate::server::services::datasets::{DatasetRow, FileRow, VersionRow};

/// schema.org's name for a column type.
fn data_type(kind: &str) -> &'static str {
    match kind {
        "integer" => "sc:Integer",
        "number" => "sc:Float",
        "boolean" => "sc:Boolean",
        "date" => "sc:Date",
        "datetime" => "sc:DateTime",
        _ => "sc:Text",
    }
}

fn media_type(format: &str) -> &'static str {
    Format::parse(format).map_or("application/octet-stream", |f| {
        f.media_type()
            .split(';')
            .next()
            .unwrap_or("application/octet-stream")
    })
}

fn license(row: &DatasetRow) -> Value {
    row.license_url
        .clone()
        .or_else(|| row.license_id.clone())
        .map_or_else(|| json!(row.license_name), Value::String)
}

/// The schema.org `Dataset` of `version`, as JSON safe to put inside a
/// `<script type="application/ld+json">` element.
pub fn schema_org(
    row: &DatasetRow,
    version: &VersionRow,
    files: &[FileRow],
    origin: &str,
) -> String {
    let page = format!("{origin}{}", crate::href::dataset(&row.slug));
    let mut dataset = json!({
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": row.title,
        "description": row.summary,
        "url": page,
        "version": version.number.to_string(),
        "license": license(row),
        "keywords": row.tags,
        "isAccessibleForFree": true,
        "creator": {"@type": "Organization", "name": row.publisher},
        "distribution": files.iter().map(|file| json!({
            "@type": "DataDownload",
            "name": file.name,
            "encodingFormat": media_type(&file.format),
            "contentUrl": format!("{origin}{}", crate::href::dataset_file(&row.slug, version.number, &file.name)),
        })).collect::<Vec<_>>(),
    });
    if let Some(citation) = &row.citation {
        dataset["citation"] = json!(citation);
    }
    if let Some(published) = version.published_at {
        dataset["datePublished"] = json!(crate::format::rfc3339(published));
    }
    // `<` never appears raw, so the text cannot close its element.
    dataset.to_string().replace('<', "\\u003c")
}

/// The Croissant 1.0 description of `version`.
pub fn croissant(row: &DatasetRow, version: &VersionRow, files: &[FileRow], origin: &str) -> Value {
    let distribution: Vec<Value> = files
        .iter()
        .map(|file| {
            json!({
                "@type": "cr:FileObject",
                "@id": file.name,
                "name": file.name,
                "contentUrl": format!("{origin}{}", crate::href::dataset_file(&row.slug, version.number, &file.name)),
                "encodingFormat": media_type(&file.format),
                "contentSize": format!("{} B", file.bytes),
                "sha256": hex(&file.sha256),
            })
        })
        .collect();
    let record_sets: Vec<Value> = files
        .iter()
        .filter_map(|file| {
            let columns = file.columns.as_ref()?;
            let set = file
                .name
                .rsplit_once('.')
                .map_or(file.name.as_str(), |(stem, _)| stem);
            let fields: Vec<Value> = columns
                .0
                .iter()
                .map(|column| {
                    json!({
                        "@type": "cr:Field",
                        "@id": format!("{set}/{}", column.name),
                        "name": column.name,
                        "description": column.description,
                        "dataType": data_type(&column.kind),
                        "source": {
                            "fileObject": {"@id": file.name},
                            "extract": {"column": column.name},
                        },
                    })
                })
                .collect();
            Some(json!({
                "@type": "cr:RecordSet",
                "@id": set,
                "name": set,
                "field": fields,
            }))
        })
        .collect();
    let mut dataset = Map::new();
    dataset.insert("@context".into(), context());
    dataset.insert("@type".into(), json!("sc:Dataset"));
    dataset.insert(
        "conformsTo".into(),
        json!("http://mlcommons.org/croissant/1.0"),
    );
    dataset.insert("name".into(), json!(row.slug));
    dataset.insert("description".into(), json!(row.summary));
    dataset.insert(
        "url".into(),
        json!(format!(
            "{origin}{}",
            crate::href::dataset_version(&row.slug, version.number)
        )),
    );
    dataset.insert("version".into(), json!(format!("{}.0.0", version.number)));
    dataset.insert("license".into(), license(row));
    dataset.insert(
        "creator".into(),
        json!({"@type": "sc:Organization", "name": row.publisher}),
    );
    dataset.insert("keywords".into(), json!(row.tags));
    if let Some(citation) = &row.citation {
        dataset.insert("citeAs".into(), json!(citation));
    }
    if let Some(published) = version.published_at {
        dataset.insert(
            "datePublished".into(),
            json!(crate::format::rfc3339(published)),
        );
    }
    dataset.insert("distribution".into(), Value::Array(distribution));
    dataset.insert("recordSet".into(), Value::Array(record_sets));
    Value::Object(dataset)
}

/// Croissant 1.0's JSON-LD context.
fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "dct": "http://purl.org/dc/terms/",
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    })
}
