//! Sessions stored under a hash of their id. The cookie holds the id; the
//! session table holds only its SHA-256 (as the id column and inside the
//! stored record), so whoever reads the table cannot take over a session
//! with what they read, as with API keys, which are stored only as hashes.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};

/// A session store keeping `S`'s rows under hashed ids.
#[derive(Debug, Clone)]
pub struct HashedIds<S>(pub S);

/// The id a session is stored under.
fn hashed(id: &Id) -> Id {
    let digest = Sha256::digest(id.0.to_le_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(bytes))
}

/// `record` as it is stored.
fn stored(record: &Record) -> Record {
    let mut stored = record.clone();
    stored.id = hashed(&record.id);
    stored
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let mut row = stored(record);
            let wanted = row.id;
            self.0.create(&mut row).await?;
            if row.id == wanted {
                return Ok(());
            }
            // The hashed id was taken (with 128 random bits, it never is):
            // the store saved the row under an id of its own, which no
            // cookie can name. Drop it and try another id.
            self.0.delete(&row.id).await?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.0.save(&stored(record)).await
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        Ok(self.0.load(&hashed(id)).await?.map(|mut record| {
            record.id = *id;
            record
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.0.delete(&hashed(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    /// A store in memory, to look at what is stored.
    #[derive(Debug, Clone, Default)]
    struct Rows(Arc<Mutex<HashMap<Id, Record>>>);

    #[async_trait]
    impl SessionStore for Rows {
        async fn save(&self, record: &Record) -> Result<()> {
            self.0
                .lock()
                .expect("lock")
                .insert(record.id, record.clone());
            Ok(())
        }

        async fn load(&self, id: &Id) -> Result<Option<Record>> {
            Ok(self.0.lock().expect("lock").get(id).cloned())
        }

        async fn delete(&self, id: &Id) -> Result<()> {
            self.0.lock().expect("lock").remove(id);
            Ok(())
        }
    }

    fn record() -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("user".to_owned(), serde_json::json!("someone"))]),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn the_store_never_holds_a_session_id_and_the_id_still_finds_its_session() {
        let rows = Rows::default();
        let store = HashedIds(rows.clone());
        let mut session = record();
        store.create(&mut session).await.expect("created");
        let id = session.id;
        {
            let held = rows.0.lock().expect("lock");
            assert_eq!(held.len(), 1);
            let (key, row) = held.iter().next().expect("a row");
            assert!(*key != id && row.id != id, "the id itself is stored");
        }
        let loaded = store.load(&id).await.expect("loaded").expect("found");
        assert_eq!((loaded.id, loaded.data), (id, session.data.clone()));
        // The stored id is no session id: it finds nothing.
        let stored_id = *rows.0.lock().expect("lock").keys().next().expect("a row");
        assert!(store.load(&stored_id).await.expect("loaded").is_none());
        store.delete(&id).await.expect("deleted");
        assert!(rows.0.lock().expect("lock").is_empty());
    }
}
