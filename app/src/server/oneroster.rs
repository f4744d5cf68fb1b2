//! Reading a OneRoster 1.1 CSV export (IMS Global): a `.zip` bundle of
//! `manifest.csv`, `users.csv`, `classes.csv`, `enrollments.csv`, … (at its
//! root or in one folder), or just its `users.csv`. One class's students
//! become our own roster CSV (`email,name,student_id`), which
//! [`crate::domain::cohorts::parse_roster`] then checks. Only active,
//! enabled users with the role `student` are listed; rows marked
//! `tobedeleted` are left out.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

/// The most the files read out of an archive may unpack to, together.
const MAX_UNPACKED_BYTES: u64 = 20 * 1024 * 1024;

/// How many classes an error names before "and N more".
const MAX_NAMED_CLASSES: usize = 10;

const NO_USERS: &str = "The archive has no users.csv: is it a OneRoster 1.1 CSV export?";

/// A class of the bundle, for the coordinator to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterClass {
    pub sourced_id: String,
    pub title: String,
    pub class_code: String,
    /// How many students are enrolled (each once).
    pub students: usize,
}

/// A OneRoster bundle read.
#[derive(Debug, Clone)]
pub struct OneRoster {
    /// The active students of `users.csv`, in file order.
    students: Vec<Student>,
    /// `None` when the bundle has no enrollments: then every student is listed.
    classes: Option<Vec<Class>>,
}

#[derive(Debug, Clone)]
struct Student {
    email: String,
    name: String,
    student_id: String,
}

#[derive(Debug, Clone)]
struct Class {
    sourced_id: String,
    title: String,
    class_code: String,
    /// Indexes into [`OneRoster::students`], each once, in enrollment order.
    students: Vec<usize>,
}

impl Class {
    /// What the coordinator types to choose it: its code, else its id.
    fn label(&self) -> &str {
        if self.class_code.is_empty() {
            &self.sourced_id
        } else {
            &self.class_code
        }
    }
}

impl OneRoster {
    /// Reads a bundle from a .zip archive's bytes (files found by name,
    /// case-insensitive, in any one folder). The files read may unpack to
    /// at most 20 MB together, whatever the archive claims.
    pub fn from_zip(bytes: &[u8]) -> Result<Self, String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
            "The file is not a .zip archive: upload the OneRoster export as downloaded, \
             or just its users.csv."
                .to_owned()
        })?;
        let entries = bundle_entries(archive.file_names().filter_map(Result::ok))?;
        let mut budget = MAX_UNPACKED_BYTES;
        let mut read = |file: &str| match entries.get(file) {
            Some(name) => read_entry(&mut archive, name, file, &mut budget).map(Some),
            None => Ok(None),
        };
        if let Some(manifest) = read("manifest.csv")? {
            check_manifest(&manifest)?;
        }
        let users = read("users.csv")?.ok_or(NO_USERS)?;
        let classes = read("classes.csv")?;
        let enrollments = read("enrollments.csv")?;
        Self::from_files(&users, classes.as_deref(), enrollments.as_deref())
    }

    /// Reads the bundle's files' texts; classes and enrollments may be
    /// missing (then every active student user is listed). Enrollments
    /// without classes.csv know their classes by sourcedId only.
    pub fn from_files(
        users: &str,
        classes: Option<&str>,
        enrollments: Option<&str>,
    ) -> Result<Self, String> {
        let (students, ids) = read_users(users)?;
        let classes = match enrollments {
            None => None,
            Some(enrollments) => {
                let known_only = classes.is_some();
                let mut classes = classes.map(read_classes).transpose()?.unwrap_or_default();
                enroll(enrollments, &ids, &mut classes, known_only)?;
                Some(classes)
            }
        };
        Ok(Self { students, classes })
    }

    /// The classes that have at least one student enrolled, in file order.
    pub fn classes(&self) -> Vec<RosterClass> {
        self.classes
            .iter()
            .flatten()
            .filter(|c| !c.students.is_empty())
            .map(|c| RosterClass {
                sourced_id: c.sourced_id.clone(),
                title: c.title.clone(),
                class_code: c.class_code.clone(),
                students: c.students.len(),
            })
            .collect()
    }

    /// Our roster CSV (header email,name,student_id) of the students of
    /// `class` (matched by sourcedId or classCode, case-insensitive,
    /// trimmed). With `None` (or a blank class): the one class with
    /// students, or, without class files, every student user; with several
    /// classes it is an error naming their class codes so the coordinator
    /// can choose.
    pub fn roster_csv(&self, class: Option<&str>) -> Result<String, String> {
        let wanted = class.map(str::trim).filter(|c| !c.is_empty());
        let students = match (&self.classes, wanted) {
            (None, None) if self.students.is_empty() => {
                return Err("users.csv lists no active students.".to_owned())
            }
            (None, None) => (0..self.students.len()).collect(),
            (None, Some(_)) => {
                return Err("This file has no classes and enrollments: leave the class \
                            empty to import every student it lists."
                    .to_owned())
            }
            (Some(classes), Some(wanted)) => find_class(classes, wanted)?.students.clone(),
            (Some(classes), None) => only_class(classes)?.students.clone(),
        };
        write_roster(students.iter().filter_map(|&at| self.students.get(at)))
    }
}

/// Whether `text` looks like a OneRoster users.csv (its header has
/// sourcedId, role and email columns), so an uploaded CSV can be told apart
/// from our own format.
pub fn is_users_csv(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    reader.headers().is_ok_and(|header| {
        ["sourcedid", "role", "email"]
            .iter()
            .all(|name| header.iter().any(|h| h.eq_ignore_ascii_case(name)))
    })
}

/// The archive's entries in the folder holding `users.csv`, by lower-case
/// file name. Folders are `/`- or `\`-separated; macOS' `__MACOSX/` copies
/// are not the export.
fn bundle_entries(
    names: impl Iterator<Item = impl AsRef<str>>,
) -> Result<HashMap<String, String>, String> {
    let names: Vec<String> = names
        .map(|n| n.as_ref().to_owned())
        .filter(|n| !n.starts_with("__MACOSX/") && !n.ends_with(['/', '\\']))
        .collect();
    let split = |name: &str| match name.rfind(['/', '\\']) {
        Some(at) => (name[..=at].to_owned(), name[at + 1..].to_lowercase()),
        None => (String::new(), name.to_lowercase()),
    };
    let folders: Vec<String> = names
        .iter()
        .map(|n| split(n))
        .filter(|(_, file)| file == "users.csv")
        .map(|(folder, _)| folder)
        .collect();
    let folder = match folders.as_slice() {
        [] => return Err(NO_USERS.to_owned()),
        [one] => one,
        _ => {
            return Err(
                "The archive holds several users.csv files: upload one OneRoster \
                        export at a time."
                    .to_owned(),
            )
        }
    };
    Ok(names
        .iter()
        .map(|n| (split(n), n))
        .filter(|((f, _), _)| f == folder)
        .map(|((_, file), name)| (file, name.clone()))
        .collect())
}

/// The UTF-8 text of the entry `name` (known as `file`), read through a cap
/// of what is left of `budget` rather than the size the archive states.
fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    file: &str,
    budget: &mut u64,
) -> Result<String, String> {
    let entry = archive
        .by_name(name)
        .map_err(|e| format!("The archive's {file} cannot be read ({e})."))?;
    let mut bytes = Vec::new();
    entry
        .take(budget.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("The archive's {file} cannot be unpacked ({e})."))?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > *budget {
        return Err(format!(
            "The archive's files unpack to more than {} MB: export only the users, \
             classes and enrollments of your institution.",
            MAX_UNPACKED_BYTES / (1024 * 1024)
        ));
    }
    *budget -= size;
    String::from_utf8(bytes)
        .map_err(|_| format!("{file} is not UTF-8 text, as OneRoster files must be."))
}

/// Refuses what the manifest says is not a full OneRoster 1.1 roster: a
/// delta export (only changes) or another version. A manifest we cannot
/// read says nothing.
fn check_manifest(text: &str) -> Result<(), String> {
    let Ok(table) = Table::parse("manifest.csv", text) else {
        return Ok(());
    };
    let (Some(name_at), Some(value_at)) = (table.column("propertyName"), table.column("value"))
    else {
        return Ok(());
    };
    for row in &table.rows {
        let (name, value) = (field(row, Some(name_at)), field(row, Some(value_at)));
        let name = name.to_ascii_lowercase();
        if name == "oneroster.version" && !(value.starts_with("1.0") || value.starts_with("1.1")) {
            return Err(format!(
                "This is a OneRoster {value} export; the Lab reads OneRoster 1.1 CSV: \
                 export that version."
            ));
        }
        let roster_file =
            ["file.users", "file.classes", "file.enrollments"].contains(&name.as_str());
        if roster_file && value.eq_ignore_ascii_case("delta") {
            return Err(
                "This is a delta export (only the changes since an earlier one): \
                        export the full (bulk) roster."
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// The active, enabled students of `users.csv`, and their indexes by
/// sourcedId.
fn read_users(text: &str) -> Result<(Vec<Student>, HashMap<String, usize>), String> {
    let table = Table::parse("users.csv", text)?;
    let id_at = table.required("sourcedId")?;
    let role_at = table.column("role").ok_or(
        "users.csv has no role column: is it a OneRoster 1.1 export? \
         (OneRoster 1.2 keeps roles in another file.)",
    )?;
    let email_at = table.required("email")?;
    let [status_at, enabled_at, given_at, family_at, identifier_at] = [
        "status",
        "enabledUser",
        "givenName",
        "familyName",
        "identifier",
    ]
    .map(|name| table.column(name));
    let (mut students, mut ids) = (Vec::new(), HashMap::new());
    for row in &table.rows {
        let get = |at| field(row, at);
        if !is_active(get(status_at))
            || get(enabled_at).eq_ignore_ascii_case("false")
            || !get(Some(role_at)).eq_ignore_ascii_case("student")
        {
            continue;
        }
        let id = get(Some(id_at));
        if !id.is_empty() && ids.contains_key(id) {
            continue;
        }
        ids.insert(id.to_owned(), students.len());
        students.push(Student {
            email: get(Some(email_at)).to_owned(),
            name: format!("{} {}", get(given_at), get(family_at))
                .trim()
                .to_owned(),
            student_id: get(identifier_at).to_owned(),
        });
    }
    ids.remove("");
    Ok((students, ids))
}

/// The active classes of `classes.csv`, with no students yet.
fn read_classes(text: &str) -> Result<Vec<Class>, String> {
    let table = Table::parse("classes.csv", text)?;
    let id_at = table.required("sourcedId")?;
    let [status_at, title_at, code_at] =
        ["status", "title", "classCode"].map(|name| table.column(name));
    Ok(table
        .rows
        .iter()
        .filter(|row| is_active(field(row, status_at)) && !field(row, Some(id_at)).is_empty())
        .map(|row| Class {
            sourced_id: field(row, Some(id_at)).to_owned(),
            title: field(row, title_at).to_owned(),
            class_code: field(row, code_at).to_owned(),
            students: Vec::new(),
        })
        .collect())
}

/// Adds the students of `enrollments.csv` to their classes, each once.
/// Unless `known_only`, a class not in `classes` is added, known by its id.
fn enroll(
    text: &str,
    students: &HashMap<String, usize>,
    classes: &mut Vec<Class>,
    known_only: bool,
) -> Result<(), String> {
    let table = Table::parse("enrollments.csv", text)?;
    let class_at = table.required("classSourcedId")?;
    let user_at = table.required("userSourcedId")?;
    let role_at = table.required("role")?;
    let status_at = table.column("status");
    let mut index: HashMap<String, usize> = classes
        .iter()
        .enumerate()
        .map(|(at, c)| (c.sourced_id.clone(), at))
        .collect();
    let mut seen = HashSet::new();
    for row in &table.rows {
        if !is_active(field(row, status_at))
            || !field(row, Some(role_at)).eq_ignore_ascii_case("student")
        {
            continue;
        }
        // Teachers, disabled and deleted users are not in `students`.
        let Some(&student) = students.get(field(row, Some(user_at))) else {
            continue;
        };
        let id = field(row, Some(class_at));
        let Some(at) = class_at_id(id, classes, &mut index, known_only) else {
            continue;
        };
        if let Some(class) = classes.get_mut(at).filter(|_| seen.insert((at, student))) {
            class.students.push(student);
        }
    }
    Ok(())
}

/// Where the class `id` is in `classes` (as `index` says). Unless
/// `known_only`, a class not there yet is added, known by its id alone.
fn class_at_id(
    id: &str,
    classes: &mut Vec<Class>,
    index: &mut HashMap<String, usize>,
    known_only: bool,
) -> Option<usize> {
    if let Some(&at) = index.get(id) {
        return Some(at);
    }
    if known_only || id.is_empty() {
        return None;
    }
    classes.push(Class {
        sourced_id: id.to_owned(),
        title: String::new(),
        class_code: String::new(),
        students: Vec::new(),
    });
    index.insert(id.to_owned(), classes.len() - 1);
    Some(classes.len() - 1)
}

/// The class the coordinator named: by sourcedId first, else by its code.
fn find_class<'a>(classes: &'a [Class], wanted: &str) -> Result<&'a Class, String> {
    let same = |a: &str| a.to_lowercase() == wanted.to_lowercase();
    let by_id = classes.iter().find(|c| same(&c.sourced_id));
    let by_code: Vec<&Class> = classes
        .iter()
        .filter(|c| !c.class_code.is_empty() && same(&c.class_code))
        .collect();
    let class = match (by_id, by_code.as_slice()) {
        (Some(class), _) => class,
        (None, [class]) => *class,
        (None, []) => {
            let listed: Vec<String> = classes
                .iter()
                .filter(|c| !c.students.is_empty())
                .map(|c| c.label().to_owned())
                .collect();
            let listed = name_classes(&listed);
            return Err(format!(
                "This file has no class {wanted}; it lists {listed}."
            ));
        }
        (None, several) => {
            let ids: Vec<String> = several.iter().map(|c| c.sourced_id.clone()).collect();
            return Err(format!(
                "{} classes have the code {wanted}: choose one by its sourcedId ({}).",
                several.len(),
                name_classes(&ids)
            ));
        }
    };
    if class.students.is_empty() {
        return Err(format!("No student is enrolled in the class {wanted}."));
    }
    Ok(class)
}

/// The one class with students, or an error naming them all.
fn only_class(classes: &[Class]) -> Result<&Class, String> {
    let listed: Vec<&Class> = classes.iter().filter(|c| !c.students.is_empty()).collect();
    match listed.as_slice() {
        [] => Err("No student is enrolled in any class of this file.".to_owned()),
        [one] => Ok(one),
        several => {
            // A code several sections share cannot choose one of them.
            let shared = |code: &str| several.iter().filter(|c| c.class_code == code).count() > 1;
            let labels: Vec<String> = several
                .iter()
                .map(|c| {
                    if c.class_code.is_empty() || shared(&c.class_code) {
                        c.sourced_id.clone()
                    } else {
                        c.class_code.clone()
                    }
                })
                .collect();
            Err(format!(
                "This file lists {} classes ({}): choose the class to import.",
                several.len(),
                name_classes(&labels)
            ))
        }
    }
}

/// "A, B, C" — the first [`MAX_NAMED_CLASSES`], then how many more.
fn name_classes(labels: &[String]) -> String {
    let mut names: Vec<&str> = labels
        .iter()
        .take(MAX_NAMED_CLASSES)
        .map(String::as_str)
        .collect();
    let more = format!(
        "and {} more",
        labels.len().saturating_sub(MAX_NAMED_CLASSES)
    );
    if labels.len() > MAX_NAMED_CLASSES {
        names.push(&more);
    }
    names.join(", ")
}

/// Our roster CSV: the header, then one row per student, quoted as needed.
fn write_roster<'a>(students: impl Iterator<Item = &'a Student>) -> Result<String, String> {
    let failed = |e: &dyn std::fmt::Display| format!("The roster cannot be written ({e}).");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["email", "name", "student_id"])
        .map_err(|e| failed(&e))?;
    for student in students {
        writer
            .write_record([&student.email, &student.name, &student.student_id])
            .map_err(|e| failed(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}

/// Whether a row's `status` keeps it: empty (bulk files) or `active`.
/// `inactive` is OneRoster 1.0's word for a removed row.
fn is_active(status: &str) -> bool {
    !status.eq_ignore_ascii_case("tobedeleted") && !status.eq_ignore_ascii_case("inactive")
}

/// The trimmed field `at` of `row`; empty when there is no such column.
fn field(row: &csv::StringRecord, at: Option<usize>) -> &str {
    at.and_then(|at| row.get(at)).unwrap_or_default()
}

/// One CSV file of the bundle: its header and rows, trimmed.
struct Table {
    file: &'static str,
    header: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    /// Reads `text` (a UTF-8 byte order mark tolerated); rows may be short.
    fn parse(file: &'static str, text: &str) -> Result<Self, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let failed = |e: csv::Error| format!("{file} cannot be read as CSV ({e}).");
        let header = reader.headers().map_err(failed)?.clone();
        if header.iter().all(str::is_empty) {
            return Err(format!("{file} is empty."));
        }
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        Ok(Self { file, header, rows })
    }

    /// Where the column `name` is (case-insensitive).
    fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Where the column `name` is, or an error saying the file lacks it.
    fn required(&self, name: &str) -> Result<usize, String> {
        self.column(name)
            .ok_or_else(|| format!("{} has no {name} column.", self.file))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::domain::cohorts::parse_roster;

    const USERS_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,\
        role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,\
        agentSourcedIds,grades,password";

    /// A users.csv of (sourcedId, status, enabledUser, role, givenName,
    /// familyName, identifier, email), every spec column present.
    fn users(rows: &[[&str; 8]]) -> String {
        let mut text = format!("{USERS_HEADER}\n");
        for [id, status, enabled, role, given, family, identifier, email] in rows {
            text.push_str(&format!(
                "{id},{status},,{enabled},org1,{role},{id},,{given},{family},,{identifier},\
                 {email},,,,,\n"
            ));
        }
        text
    }

    /// A classes.csv of (sourcedId, status, title, classCode).
    fn classes(rows: &[[&str; 4]]) -> String {
        let mut text = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,\
            classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,\
            subjectCodes,periods\n"
            .to_owned();
        for [id, status, title, code] in rows {
            text.push_str(&format!(
                "{id},{status},,{title},,course1,{code},scheduled,,org1,term1,,,\n"
            ));
        }
        text
    }

    /// An enrollments.csv of (sourcedId, status, classSourcedId,
    /// userSourcedId, role).
    fn enrollments(rows: &[[&str; 5]]) -> String {
        let mut text = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,\
            userSourcedId,role,primary,beginDate,endDate\n"
            .to_owned();
        for [id, status, class, user, role] in rows {
            text.push_str(&format!(
                "{id},{status},,{class},org1,{user},{role},false,,\n"
            ));
        }
        text
    }

    /// A `.zip` of `entries` (name, content), deflated.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const MANIFEST: &str = "propertyName,value\nmanifest.version,1.0\n\
        oneroster.version,1.1\nfile.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\n";

    fn student(id: &str, given: &str, email: &str) -> [String; 8] {
        [
            id,
            "",
            "true",
            "student",
            given,
            "Doe",
            &id.to_uppercase(),
            email,
        ]
        .map(str::to_owned)
    }

    /// Three students; u1 and u2 in CS101, u3 in CS102, u1 also in MA201.
    fn university() -> Vec<u8> {
        let people: Vec<[String; 8]> = vec![
            student("u1", "Ada", "ada@uni.edu"),
            student("u2", "Alan", "alan@uni.edu"),
            student("u3", "Grace", "grace@uni.edu"),
        ];
        let people: Vec<[&str; 8]> = people
            .iter()
            .map(|p| p.each_ref().map(String::as_str))
            .collect();
        let classes = classes(&[
            ["c1", "", "Programming", "CS101"],
            ["c2", "active", "Data", "CS102"],
            ["c3", "", "Calculus", "MA201"],
            ["c4", "", "Empty", "EM100"],
        ]);
        let enrollments = enrollments(&[
            ["e1", "", "c1", "u1", "student"],
            ["e2", "", "c1", "u2", "student"],
            ["e3", "", "c2", "u3", "student"],
            ["e4", "", "c3", "u1", "student"],
        ]);
        zip_of(&[
            ("export/manifest.csv", MANIFEST.as_bytes()),
            ("export/users.csv", users(&people).as_bytes()),
            ("export/classes.csv", classes.as_bytes()),
            ("export/enrollments.csv", enrollments.as_bytes()),
        ])
    }

    /// The (email, name, student_id) rows of a roster, as our checker reads them.
    fn rows(csv: &str) -> Vec<(String, Option<String>, Option<String>)> {
        parse_roster(csv, &[])
            .unwrap()
            .into_iter()
            .map(|r| (r.email, r.name, r.student_id))
            .collect()
    }

    fn emails(csv: &str) -> Vec<String> {
        rows(csv).into_iter().map(|(email, _, _)| email).collect()
    }

    #[test]
    fn the_one_class_with_students_is_picked_automatically() {
        let users = users(&[
            [
                "u1",
                "",
                "true",
                "student",
                "Ada",
                "Lovelace",
                "S1",
                "ada@uni.edu",
            ],
            [
                "u2",
                "",
                "true",
                "student",
                "Alan",
                "Turing",
                "S2",
                "alan@uni.edu",
            ],
        ]);
        let classes = classes(&[
            ["c1", "", "Programming", "CS101"],
            ["c2", "", "Nobody", "XX000"],
        ]);
        let enrollments = enrollments(&[
            ["e1", "", "c1", "u1", "student"],
            ["e2", "", "c1", "u2", "student"],
        ]);
        let zip = zip_of(&[
            ("users.csv", users.as_bytes()),
            ("classes.csv", classes.as_bytes()),
            ("enrollments.csv", enrollments.as_bytes()),
        ]);
        let roster = OneRoster::from_zip(&zip).unwrap();
        assert_eq!(
            roster.classes(),
            [RosterClass {
                sourced_id: "c1".to_owned(),
                title: "Programming".to_owned(),
                class_code: "CS101".to_owned(),
                students: 2,
            }]
        );
        let csv = roster.roster_csv(None).unwrap();
        assert_eq!(
            csv,
            "email,name,student_id\nada@uni.edu,Ada Lovelace,S1\nalan@uni.edu,Alan Turing,S2\n"
        );
        assert_eq!(roster.roster_csv(Some("  ")).unwrap(), csv);
    }

    #[test]
    fn several_classes_are_named_and_one_is_chosen_by_code_or_sourced_id() {
        let roster = OneRoster::from_zip(&university()).unwrap();
        assert_eq!(
            roster.roster_csv(None).unwrap_err(),
            "This file lists 3 classes (CS101, CS102, MA201): choose the class to import."
        );
        let codes: Vec<String> = roster.classes().into_iter().map(|c| c.class_code).collect();
        assert_eq!(codes, ["CS101", "CS102", "MA201"]);
        let by_code = roster.roster_csv(Some(" cs101 ")).unwrap();
        assert_eq!(emails(&by_code), ["ada@uni.edu", "alan@uni.edu"]);
        assert_eq!(roster.roster_csv(Some("C1")).unwrap(), by_code);
        assert_eq!(
            emails(&roster.roster_csv(Some("ma201")).unwrap()),
            ["ada@uni.edu"]
        );
        assert_eq!(
            roster.roster_csv(Some("CS999")).unwrap_err(),
            "This file has no class CS999; it lists CS101, CS102, MA201."
        );
        assert_eq!(
            roster.roster_csv(Some("EM100")).unwrap_err(),
            "No student is enrolled in the class EM100."
        );
    }

    #[test]
    fn sections_sharing_a_code_are_chosen_by_sourced_id() {
        let users = users(&[
            ["u1", "", "true", "student", "Ada", "L", "S1", "ada@uni.edu"],
            [
                "u2",
                "",
                "true",
                "student",
                "Alan",
                "T",
                "S2",
                "alan@uni.edu",
            ],
        ]);
        let classes = classes(&[
            ["sec-a", "", "Programming A", "CS101"],
            ["sec-b", "", "Programming B", "CS101"],
        ]);
        let enrollments = enrollments(&[
            ["e1", "", "sec-a", "u1", "student"],
            ["e2", "", "sec-b", "u2", "student"],
        ]);
        let roster = OneRoster::from_files(&users, Some(&classes), Some(&enrollments)).unwrap();
        assert_eq!(
            roster.roster_csv(None).unwrap_err(),
            "This file lists 2 classes (sec-a, sec-b): choose the class to import."
        );
        assert_eq!(
            roster.roster_csv(Some("cs101")).unwrap_err(),
            "2 classes have the code cs101: choose one by its sourcedId (sec-a, sec-b)."
        );
        assert_eq!(
            emails(&roster.roster_csv(Some("SEC-B")).unwrap()),
            ["alan@uni.edu"]
        );
    }

    #[test]
    fn a_long_list_of_classes_is_cut_short() {
        let users = users(&[["u1", "", "true", "student", "Ada", "L", "S1", "ada@uni.edu"]]);
        let rows: Vec<[String; 5]> = (1..=12)
            .map(|n| {
                [
                    format!("e{n}"),
                    String::new(),
                    format!("c{n}"),
                    "u1".to_owned(),
                    "student".to_owned(),
                ]
            })
            .collect();
        let rows: Vec<[&str; 5]> = rows
            .iter()
            .map(|r| r.each_ref().map(String::as_str))
            .collect();
        let roster = OneRoster::from_files(&users, None, Some(&enrollments(&rows))).unwrap();
        assert_eq!(roster.classes().len(), 12);
        assert_eq!(
            roster.roster_csv(None).unwrap_err(),
            "This file lists 12 classes (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, and 2 more): \
             choose the class to import."
        );
    }

    #[test]
    fn deleted_disabled_and_teacher_rows_are_skipped() {
        let users = users(&[
            ["u1", "", "true", "student", "Ada", "L", "S1", "ada@uni.edu"],
            [
                "u2",
                "tobedeleted",
                "true",
                "student",
                "Gone",
                "G",
                "S2",
                "gone@uni.edu",
            ],
            [
                "u3",
                "active",
                "false",
                "student",
                "Off",
                "O",
                "S3",
                "off@uni.edu",
            ],
            [
                "u4",
                "",
                "true",
                "teacher",
                "Grace",
                "H",
                "T4",
                "grace@uni.edu",
            ],
            [
                "u5",
                "",
                "true",
                "Student",
                "Late",
                "L",
                "S5",
                "late@uni.edu",
            ],
            ["u6", "", "", "student", "Bob", "B", "S6", "bob@uni.edu"],
        ]);
        let classes = classes(&[
            ["c1", "", "Programming", "CS101"],
            ["c2", "tobedeleted", "Old", "OLD1"],
        ]);
        let enrollments = enrollments(&[
            ["e1", "", "c1", "u1", "student"],
            ["e2", "", "c1", "u2", "student"],
            ["e3", "", "c1", "u3", "student"],
            ["e4", "", "c1", "u4", "student"],
            ["e5", "", "c1", "u4", "teacher"],
            ["e6", "tobedeleted", "c1", "u5", "student"],
            ["e7", "", "c1", "u6", "student"],
            ["e8", "", "c2", "u5", "student"],
            ["e9", "", "c1", "u1", "teacher"],
        ]);
        let roster = OneRoster::from_files(&users, Some(&classes), Some(&enrollments)).unwrap();
        assert_eq!(roster.classes().len(), 1);
        let csv = roster.roster_csv(None).unwrap();
        assert_eq!(emails(&csv), ["ada@uni.edu", "bob@uni.edu"]);
        assert!(roster.roster_csv(Some("OLD1")).is_err());
        // Without class files every active, enabled student is listed.
        let all = OneRoster::from_files(&users, None, None).unwrap();
        let csv = all.roster_csv(None).unwrap();
        assert_eq!(emails(&csv), ["ada@uni.edu", "late@uni.edu", "bob@uni.edu"]);
    }

    #[test]
    fn a_student_enrolled_twice_is_listed_once() {
        let users = users(&[["u1", "", "true", "student", "Ada", "L", "S1", "ada@uni.edu"]]);
        let enrollments = enrollments(&[
            ["e1", "", "c1", "u1", "student"],
            ["e2", "", "c1", "u1", "student"],
        ]);
        let roster = OneRoster::from_files(&users, None, Some(&enrollments)).unwrap();
        let classes = roster.classes();
        assert_eq!(classes.len(), 1);
        assert_eq!(
            (classes[0].sourced_id.as_str(), classes[0].students),
            ("c1", 1)
        );
        let csv = roster.roster_csv(None).unwrap();
        assert_eq!(csv, "email,name,student_id\nada@uni.edu,Ada L,S1\n");
        let parsed = parse_roster(&csv, &[]).unwrap();
        assert!(parsed.iter().all(|r| r.problem.is_none()));
    }

    #[test]
    fn a_byte_order_mark_and_any_header_case_are_read() {
        let users = "\u{feff}SOURCEDID,Role,EMAIL,GivenName,familyname,Identifier,EnabledUser\r\n\
            u1,student,ada@uni.edu,Ada,Lovelace,S1,TRUE\r\n\
            u2,student,off@uni.edu,Off,Line,S2,FALSE\r\n";
        let classes = "\u{feff}SourcedID,ClassCode,TITLE\r\nc1,CS101,Programming\r\n";
        let enrollments = "\u{feff}classsourcedid,USERSOURCEDID,ROLE,Status\r\n\
            c1,u1,STUDENT,Active\r\nc1,u2,student,\r\n";
        assert!(is_users_csv(users));
        let zip = zip_of(&[
            ("Export/USERS.CSV", users.as_bytes()),
            ("Export/Classes.csv", classes.as_bytes()),
            ("Export/enrollments.CSV", enrollments.as_bytes()),
        ]);
        let roster = OneRoster::from_zip(&zip).unwrap();
        assert_eq!(roster.classes()[0].class_code, "CS101");
        assert_eq!(
            roster.roster_csv(None).unwrap(),
            "email,name,student_id\nada@uni.edu,Ada Lovelace,S1\n"
        );
    }

    #[test]
    fn a_users_csv_alone_lists_every_student() {
        let users = users(&[
            ["u1", "", "true", "student", "Ada", "", "", "ada@uni.edu"],
            ["u2", "", "true", "student", "", "", "S2", ""],
            [
                "u3",
                "",
                "true",
                "administrator",
                "Root",
                "R",
                "",
                "root@uni.edu",
            ],
        ]);
        let roster = OneRoster::from_files(&users, None, None).unwrap();
        assert!(roster.classes().is_empty());
        let csv = roster.roster_csv(None).unwrap();
        assert_eq!(csv, "email,name,student_id\nada@uni.edu,Ada,\n,,S2\n");
        // The student without an email is kept for our checker to report.
        let parsed = parse_roster(&csv, &[]).unwrap();
        assert_eq!(parsed[1].problem.as_deref(), Some("No email."));
        assert_eq!(parsed[1].student_id.as_deref(), Some("S2"));
        assert!(roster.roster_csv(Some("CS101")).is_err());
        // So is a zip holding just users.csv.
        let zip = zip_of(&[("users.csv", users.as_bytes())]);
        assert_eq!(
            OneRoster::from_zip(&zip).unwrap().roster_csv(None).unwrap(),
            csv
        );
    }

    #[test]
    fn an_archive_without_users_csv_is_refused() {
        let zip = zip_of(&[
            ("manifest.csv", MANIFEST.as_bytes()),
            (
                "classes.csv",
                classes(&[["c1", "", "P", "CS101"]]).as_bytes(),
            ),
            ("__MACOSX/._users.csv", b"junk"),
        ]);
        assert_eq!(
            OneRoster::from_zip(&zip).unwrap_err(),
            "The archive has no users.csv: is it a OneRoster 1.1 CSV export?"
        );
        assert!(OneRoster::from_zip(b"email,name\n")
            .unwrap_err()
            .contains("not a .zip"));
        let twice = zip_of(&[("a/users.csv", b"sourcedId"), ("b/users.csv", b"sourcedId")]);
        assert!(OneRoster::from_zip(&twice)
            .unwrap_err()
            .contains("several users.csv"));
    }

    #[test]
    fn missing_columns_and_delta_exports_are_explained() {
        let no_email = "sourcedId,role,givenName\nu1,student,Ada\n";
        assert_eq!(
            OneRoster::from_files(no_email, None, None).unwrap_err(),
            "users.csv has no email column."
        );
        assert_eq!(
            OneRoster::from_files("", None, None).unwrap_err(),
            "users.csv is empty."
        );
        let users = users(&[["u1", "", "true", "student", "Ada", "L", "S1", "ada@uni.edu"]]);
        let delta = MANIFEST.replace("file.enrollments,bulk", "file.enrollments,delta");
        let zip = zip_of(&[
            ("manifest.csv", delta.as_bytes()),
            ("users.csv", users.as_bytes()),
        ]);
        assert!(OneRoster::from_zip(&zip)
            .unwrap_err()
            .contains("delta export"));
        let newer = MANIFEST.replace("oneroster.version,1.1", "oneroster.version,1.2");
        let zip = zip_of(&[
            ("manifest.csv", newer.as_bytes()),
            ("users.csv", users.as_bytes()),
        ]);
        assert!(OneRoster::from_zip(&zip)
            .unwrap_err()
            .contains("OneRoster 1.2"));
    }

    #[test]
    fn a_name_with_a_comma_and_quotes_round_trips_through_our_checker() {
        let users = format!(
            "{USERS_HEADER}\nu1,,,true,org1,student,jr,,\"Martin, Jr.\",\"King \"\"MLK\"\"\",,\
             S-001,MLK@Uni.edu,,,,,\n"
        );
        let csv = OneRoster::from_files(&users, None, None)
            .unwrap()
            .roster_csv(None)
            .unwrap();
        assert_eq!(
            rows(&csv),
            [(
                "mlk@uni.edu".to_owned(),
                Some("Martin, Jr. King \"MLK\"".to_owned()),
                Some("S-001".to_owned())
            )]
        );
    }

    #[test]
    fn a_users_csv_is_told_apart_from_our_roster_format() {
        assert!(is_users_csv(&users(&[])));
        assert!(is_users_csv("\u{feff}sourcedid, ROLE ,Email\n"));
        assert!(!is_users_csv("email,name,student_id\nada@uni.edu,Ada,S1\n"));
        assert!(!is_users_csv("sourcedId,email\nu1,ada@uni.edu\n"));
        assert!(!is_users_csv(""));
    }

    #[test]
    fn an_archive_unpacking_past_the_limit_is_refused() {
        let mut users = users(&[]);
        let row = "u,,,true,org1,student,u,,A,B,,S,a@uni.edu,,,,,\n";
        let rows = usize::try_from(MAX_UNPACKED_BYTES).unwrap() / row.len() + 1;
        users.push_str(&row.repeat(rows));
        let zip = zip_of(&[("users.csv", users.as_bytes())]);
        assert!(zip.len() < 1024 * 1024, "the archive itself is small");
        assert!(OneRoster::from_zip(&zip)
            .unwrap_err()
            .contains("more than 20 MB"));
        // The limit holds for the files together, not each.
        let half = users[..users.len() / 2].to_owned();
        let zip = zip_of(&[
            ("users.csv", half.as_bytes()),
            ("enrollments.csv", half.as_bytes()),
        ]);
        assert!(OneRoster::from_zip(&zip)
            .unwrap_err()
            .contains("more than 20 MB"));
    }
}
