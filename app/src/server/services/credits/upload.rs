//! The bulk grant form's upload: the CSV file chosen, or its text pasted,
//! picked out of the multipart fields and checked as text.

use crate::domain::bulk_grant::too_large;
use crate::error::AppError;
use crate::server::upload::Part;

/// A bulk grant file as the form sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUpload {
    pub text: String,
    /// The form field it came in: `file` or `csv` (pasted).
    pub field: &'static str,
    /// The uploaded file's name; `None` for pasted text.
    pub file_name: Option<String>,
}

/// Picks the bulk grant file out of the form's fields: an uploaded `file`
/// or the text pasted in `csv`, exactly one of them, within
/// [`MAX_CSV_BYTES`](crate::domain::bulk_grant::MAX_CSV_BYTES), UTF-8 (a
/// byte-order mark is fine) and text. Problems are field errors on the
/// field concerned.
pub fn bulk_upload(fields: Vec<(String, Part)>) -> Result<BulkUpload, AppError> {
    let mut file = None;
    let mut pasted = None;
    for (name, part) in fields {
        match name.as_str() {
            // A form without a chosen file sends an empty part with no name.
            "file" if !part.bytes.is_empty() || part.too_large || has_name(&part) => {
                file = Some(part);
            }
            "csv" if part.too_large || !String::from_utf8_lossy(&part.bytes).trim().is_empty() => {
                pasted = Some(part);
            }
            _ => {}
        }
    }
    let (field, part) = match (file, pasted) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "file",
                "Choose a file or paste the text, not both.",
            ))
        }
        (None, None) => {
            return Err(AppError::field(
                "file",
                "Choose a CSV file, or paste its text below.",
            ))
        }
        (Some(part), None) => ("file", part),
        (None, Some(part)) => ("csv", part),
    };
    if part.too_large {
        return Err(AppError::field(field, too_large()));
    }
    if part.bytes.is_empty() {
        return Err(AppError::field(field, "The file is empty."));
    }
    let text = String::from_utf8(part.bytes).map_err(|_| {
        AppError::field(
            field,
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
        )
    })?;
    if text.contains('\0') {
        return Err(AppError::field(field, "This is not a CSV text file."));
    }
    let file_name = (field == "file")
        .then(|| part.file_name.unwrap_or_default())
        .map(|name| base_name(&name).to_owned())
        .filter(|name| !name.is_empty());
    Ok(BulkUpload {
        text,
        field,
        file_name,
    })
}

fn has_name(part: &Part) -> bool {
    part.file_name
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty())
}

/// A file name without any folders a browser may have sent with it.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: Option<&str>, bytes: &[u8]) -> Part {
        Part {
            file_name: name.map(str::to_owned),
            bytes: bytes.to_vec(),
            too_large: false,
        }
    }

    fn field_of(result: Result<BulkUpload, AppError>) -> (String, String) {
        match result {
            Err(AppError::Validation(errors)) if errors.len() == 1 => {
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("expected one field error, got {other:?}"),
        }
    }

    #[test]
    fn an_upload_is_the_chosen_file_or_the_pasted_text() {
        let csv = b"email,amount,expiry,reason\na@b.c,1,,x\n";
        let upload = bulk_upload(vec![
            ("file".into(), part(Some("C:\\Users\\ada\\grants.csv"), csv)),
            ("csv".into(), part(None, b"  \r\n")),
        ])
        .expect("the file");
        assert_eq!(
            (upload.field, upload.file_name.as_deref()),
            ("file", Some("grants.csv"))
        );
        assert_eq!(upload.text.as_bytes(), csv);

        let upload = bulk_upload(vec![
            ("file".into(), part(Some(""), b"")),
            ("csv".into(), part(None, csv)),
        ])
        .expect("the pasted text");
        assert_eq!((upload.field, upload.file_name), ("csv", None));
    }

    #[test]
    fn a_bad_upload_is_a_field_error_on_the_field_used() {
        let csv: &[u8] = b"email,amount,expiry,reason\na@b.c,1,,x\n";
        type Fields = Vec<(String, Part)>;
        let cases: Vec<(Fields, &str, &str)> = vec![
            (vec![], "file", "Choose a CSV file"),
            (
                vec![
                    ("file".into(), part(Some("a.csv"), csv)),
                    ("csv".into(), part(None, csv)),
                ],
                "file",
                "not both",
            ),
            (
                vec![("file".into(), part(Some("a.csv"), b""))],
                "file",
                "empty",
            ),
            (
                vec![("file".into(), part(Some("a.csv"), b"email\xff,amount"))],
                "file",
                "UTF-8",
            ),
            (
                vec![("csv".into(), part(None, b"email,amount\0"))],
                "csv",
                "not a CSV",
            ),
            (
                vec![(
                    "csv".into(),
                    Part {
                        too_large: true,
                        ..Part::default()
                    },
                )],
                "csv",
                "larger than 1 MiB",
            ),
        ];
        for (fields, field, message) in cases {
            let (got_field, got_message) = field_of(bulk_upload(fields));
            assert_eq!(got_field, field, "{got_message}");
            assert!(got_message.contains(message), "{got_message}");
        }
    }
}
