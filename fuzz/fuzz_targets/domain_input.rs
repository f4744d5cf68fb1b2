//! Every parser of what people type or upload, in `app/src/domain`: form
//! fields, searches, days and expiries, credit amounts, the bulk-grant CSV,
//! API key settings, the admin's model and provider forms, the dataset
//! catalog's query and slugs, and dataset cards as rendered. The input is
//! split into fields at the unit separator (0x1F) and each parser is given
//! the fields in turn. Nothing may panic, and what a parser accepts must
//! keep the promises its type makes.

#![no_main]

use app::domain::calendar::{parse_day, parse_expiry, ExpiryRule};
use app::domain::credits::Credits;
use app::domain::datasets::{self, CatalogParams, CatalogQuery};
use app::domain::email::Email;
use app::domain::model_forms::{self, ModelFields, ProviderFields};
use app::domain::onboarding::{Building, ExpectedUsage, Industry};
use app::domain::paging::{limit_offset, page_from_query, MAX_PAGE};
use app::domain::password::Password;
use app::domain::profile::{AccountKind, Country, DisplayName, Organization};
use app::domain::role::{ApplicationStatus, PlatformRole, UserStatus};
use app::domain::search::Search;
use app::domain::tokenizer::TokenizerChoice;
use app::domain::{bulk_grant, credit_grant, keys, model::ModelKind};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fields: Vec<&str> = text.split('\u{1f}').collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or("");

    // The whole input as one upload.
    let _ = bulk_grant::parse_csv(&text);
    let _ = bulk_grant::parse_bulk(&text, NOW);
    let _ = bulk_grant::BulkRowFilter::parse(&text);

    for input in fields.iter().copied() {
        if let Ok(search) = Search::parse(input) {
            assert!(!search.as_str().chars().any(char::is_control));
            assert!(search.as_str().chars().count() <= 200);
        }
        if let Ok(email) = Email::parse(input) {
            let again = Email::parse(email.as_str()).expect("an accepted email reads again");
            assert_eq!(again.as_str(), email.as_str());
            assert!(!email.as_str().chars().any(char::is_control));
        }
        for negative in [false, true] {
            if let Ok(amount) = Credits::parse(input, negative) {
                assert!(negative || amount.micros() >= 0);
                let written = app::format::credits_plain(amount);
                assert_eq!(Credits::parse(&written, negative), Ok(amount), "{written}");
            }
        }
        if let Ok(Some(day)) = parse_day(input) {
            assert_eq!(parse_day(&day.to_string()), Ok(Some(day)));
        }
        for rule in [ExpiryRule::CreditGrant, ExpiryRule::ApiKey] {
            if let Ok(Some(at)) = parse_expiry(input, NOW, rule) {
                assert!(at > NOW);
            }
        }
        let page = page_from_query(Some(input));
        assert!((1..=MAX_PAGE).contains(&page));
        let (limit, offset) = limit_offset(page, 25);
        assert!(limit > 0 && offset >= 0);
        let _ = DisplayName::parse(input);
        if let Ok(kind) = AccountKind::parse(input) {
            let _ = Organization::parse(field(1), kind);
        }
        let _ = Country::parse(input);
        let _ = PlatformRole::parse(input);
        let _ = UserStatus::parse(input);
        let _ = ApplicationStatus::parse(input);
        let _ = Industry::parse(input);
        let _ = ExpectedUsage::parse(input);
        let _ = Building::parse(input);
        let _ = TokenizerChoice::parse(input);
        let _ = ModelKind::parse(input);
        let _ = credit_grant::parse_reason(input);
        let _ = model_forms::tokenizer(input);
        let _ = model_forms::name(input);
        let _ = model_forms::base_url(input);
        let _ = model_forms::secret_env(input);
        let _ = model_forms::timeout_ms(input);
        let _ = model_forms::public_id(input);
        let _ = model_forms::upstream_model(input);
        let _ = model_forms::kind(input);
        let _ = model_forms::price(input);
        let _ = model_forms::token_count(input);
        if let Ok(slug) = datasets::parse_slug(input) {
            assert!(slug.len() <= 64 && !slug.starts_with('-') && !slug.ends_with('-'));
        }
        let _ = datasets::Format::of_name(input);
        let _ = datasets::Access::parse(input);
        let _ = datasets::DatasetIndustry::parse(input);
        let _ = datasets::Sort::parse(input);
        // A dataset card, rendered as the portal shows it.
        let card = app::server::datasets::card::render(input);
        // Text has its `<` escaped, so only a kept element could match.
        assert!(
            !card.contains("<script") && !card.contains("<iframe"),
            "{card}"
        );
    }

    let catalog = CatalogParams {
        q: field(0).to_owned(),
        industry: field(1).to_owned(),
        task: field(2).to_owned(),
        license: field(3).to_owned(),
        format: field(4).to_owned(),
        size: field(5).to_owned(),
        access: field(6).to_owned(),
        sort: field(7).to_owned(),
        page: field(8).to_owned(),
    };
    if let Ok(query) = CatalogQuery::parse(&catalog) {
        assert!((1..=MAX_PAGE).contains(&query.page));
        assert!(!query.q.chars().any(char::is_control));
    }

    // Forms of several fields, from consecutive fields.
    let _ = Password::parse(field(0).to_owned(), &[field(1), field(2)]);
    let _ = keys::parse_settings(field(0), field(1), field(2), field(3), field(4), NOW);
    let _ = model_forms::provider(ProviderFields {
        name: field(0),
        base_url: field(1),
        secret_env: field(2),
        timeout_ms: field(3),
    });
    let _ = model_forms::model(ModelFields {
        public_id: field(0),
        provider_id: field(1),
        upstream_model: field(2),
        kind: field(3),
        input_price: field(4),
        output_price: field(5),
        context_window: field(6),
        max_output_tokens: field(7),
        tokenizer: field(8),
    });
});
