//! The proxy's reading of bodies from the outside: a `/v1` request (chat and
//! embeddings) as a client sends it, and an answer or stream chunk as an
//! upstream sends it. Nothing may panic; what is rewritten for the upstream
//! or the client must still be one JSON object naming the model it was
//! given; our own token count of what was read must not panic either.

#![no_main]

use lab_portal::proxy::raw::RawObject;
use lab_portal::proxy::wire::{asked_model, Answer, ChatRequest, EmbeddingsRequest, Usage};
use libfuzzer_sys::fuzz_target;

/// The model a rewritten body names, read back as the proxy reads it.
fn model_of(json: &[u8]) -> Option<String> {
    RawObject::parse(json).ok()?.read("model").ok()?
}

fuzz_target!(|body: &[u8]| {
    let _ = asked_model(body);
    if let Ok(object) = RawObject::parse(body) {
        let again = object.to_vec().expect("a parsed object writes back");
        let reread = RawObject::parse(&again).expect("written back, it reads again");
        assert_eq!(
            reread.to_vec().expect("writes back"),
            again,
            "writing back is stable"
        );
    }
    if let Ok(mut chat) = ChatRequest::parse(body) {
        let _ = chat.has_non_text_parts();
        let _ = app::server::metering::count::count_messages(&chat.messages);
        for message in &chat.messages {
            let _ = message.texts().count();
        }
        let upstream = chat
            .for_upstream("upstream-model", 16)
            .expect("a read request writes back");
        assert_eq!(model_of(&upstream).as_deref(), Some("upstream-model"));
    }
    if let Ok(mut embeddings) = EmbeddingsRequest::parse(body) {
        let upstream = embeddings
            .for_upstream("upstream-model")
            .expect("a read request writes back");
        assert_eq!(model_of(&upstream).as_deref(), Some("upstream-model"));
    }
    if let Some(mut answer) = Answer::parse(body) {
        let mut text = String::new();
        answer.texts_into(&mut text);
        let _ = answer.has_choices();
        let _ = answer.names_other_model("asked");
        let usage = Usage::of(3, 4);
        let client = answer
            .for_client("asked", Some(&usage))
            .expect("a read answer writes back");
        assert_eq!(model_of(&client).as_deref(), Some("asked"));
    }
});
