//! Dataset files: reading them when they are added ([`ingest`]), storing
//! them ([`storage`]), rendering cards ([`card`]), describing them for
//! machines ([`croissant`]), the data viewer's tables ([`viewer`]) and the
//! starter catalog ([`seed`]). The catalog's SQL is `services::datasets`.

pub mod card;
pub mod croissant;
pub mod ingest;
pub mod seed;
pub mod storage;
pub mod viewer;
