//! Dataset files: reading them when they are added ([`ingest`]), storing
//! them ([`storage`]), rendering cards ([`card`]), describing them for
//! machines ([`croissant`]), the data viewer's tables ([`viewer`]), the
//! starter catalog ([`seed`]) files received from staff ([`upload`]) and
//! Frictionless packages they import ([`import`], read by [`package`]).
//! The catalog's SQL is `services::datasets`; curation's is
//! `services::dataset_curation`.

pub mod card;
pub mod croissant;
pub mod import;
pub mod ingest;
pub mod package;
pub mod parquet_file;
pub mod seed;
pub mod storage;
pub mod upload;
pub mod viewer;
