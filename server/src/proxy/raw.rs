//! A JSON object read only as far as the proxy needs it: its members in the
//! order they came, each value kept as its raw text. The proxy parses the few
//! members it reads, replaces the few it changes, and forwards the rest byte
//! for byte: key order (which decides, say, the order a structured output is
//! generated in), number precision and unknown fields all survive, and no
//! value tree is built for what is only passed on.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

/// One JSON object, members in order.
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    members: Vec<(Cow<'a, str>, Member<'a>)>,
}

#[derive(Debug)]
enum Member<'a> {
    /// As it came.
    Raw(&'a RawValue),
    /// Set by the proxy.
    Owned(Box<RawValue>),
}

impl Member<'_> {
    fn raw(&self) -> &RawValue {
        match self {
            Self::Raw(raw) => raw,
            Self::Owned(owned) => owned,
        }
    }
}

impl<'a> RawObject<'a> {
    /// Reads `json`, which must be an object without repeated keys (a
    /// repeated key would let the proxy and the upstream read different
    /// values).
    pub fn parse(json: &'a [u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(json)
    }

    /// Reads a member's raw text as an object.
    pub fn parse_str(json: &'a str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.members
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, member)| member.raw())
    }

    /// The value of `key` read as `T`; `None` when absent or `null` (as
    /// OpenAI reads an optional field).
    pub fn read<'s, T: Deserialize<'s>>(&'s self, key: &str) -> serde_json::Result<Option<T>> {
        self.get(key)
            .filter(|raw| raw.get() != "null")
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
    }

    /// Sets `key` to `value`, in its place if present, else last.
    pub fn set(&mut self, key: &'static str, value: &impl Serialize) -> serde_json::Result<()> {
        let value = Member::Owned(serde_json::value::to_raw_value(value)?);
        match self.members.iter_mut().find(|(name, _)| name == key) {
            Some((_, member)) => *member = value,
            None => self.members.push((Cow::Borrowed(key), value)),
        }
        Ok(())
    }

    /// The object as JSON text.
    pub fn to_vec(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

impl Serialize for RawObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len()))?;
        for (key, member) in &self.members {
            map.serialize_entry(key, member.raw())?;
        }
        map.end()
    }
}

/// A key, borrowed from the input unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members: Vec<(Cow<'de, str>, Member<'de>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if members.iter().any(|(name, _)| *name == key) {
                        return Err(de::Error::custom(format_args!("`{key}` appears twice")));
                    }
                    let value: &'de RawValue = map.next_value()?;
                    members.push((key, Member::Raw(value)));
                }
                Ok(RawObject { members })
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_pass_through_byte_for_byte_in_their_order() {
        let json = br#"{"z": 1, "model":"a", "n":  123456789012345678901234567890, "s":"\u00e9"}"#;
        let mut object = RawObject::parse(json).expect("an object");
        assert_eq!(
            object.read::<String>("model").expect("a string"),
            Some("a".to_owned())
        );
        assert_eq!(object.read::<u64>("absent").expect("absent"), None);
        let null = RawObject::parse(br#"{"n": null}"#).expect("an object");
        assert_eq!(null.read::<u64>("n").expect("null"), None);
        assert!(object.read::<u64>("model").is_err());
        object.set("model", &"b").expect("set");
        object.set("max_tokens", &7).expect("set");
        assert_eq!(
            String::from_utf8(object.to_vec().expect("json")).expect("utf-8"),
            r#"{"z":1,"model":"b","n":123456789012345678901234567890,"s":"\u00e9","max_tokens":7}"#
        );
    }

    #[test]
    fn only_objects_without_repeated_keys_are_read() {
        let twice = RawObject::parse(br#"{"model": "a", "model": "b"}"#).expect_err("refused");
        assert!(
            twice.to_string().contains("`model` appears twice"),
            "{twice}"
        );
        assert!(RawObject::parse(b"[1]").is_err());
        assert!(RawObject::parse(b"{\"a\": }").is_err());
        let escaped = RawObject::parse(br#"{"mo\u0064el": "a"}"#).expect("an object");
        assert!(escaped.get("model").is_some());
    }
}
