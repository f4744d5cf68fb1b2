//! The onboarding application form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::onboarding::SubmitApplication;
use crate::components::form::{action_error, field_error, FormError, SelectField, TextAreaField};
use crate::components::guard::RequireUser;
use crate::components::ui::PageHeader;
use crate::domain::onboarding::{ExpectedUsage, Industry};

/// `/onboarding`.
#[component]
pub fn OnboardingPage() -> impl IntoView {
    view! {
        <Title text="Your application" />
        <RequireUser children=|_| view! { <ApplicationForm /> } />
    }
}

#[component]
fn ApplicationForm() -> impl IntoView {
    let action = ServerAction::<SubmitApplication>::new();
    let error = action_error(action.value());
    let industries = Industry::ALL
        .iter()
        .map(|i| (i.as_str().to_owned(), i.label().to_owned()))
        .collect();
    let usages = ExpectedUsage::ALL
        .iter()
        .map(|u| (u.as_str().to_owned(), u.label().to_owned()))
        .collect();
    view! {
        <section class="container page narrow">
            <PageHeader
                title="Tell us what you want to build"
                lead="Lab staff read every application. Approval comes with starter credits."
            />
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextAreaField
                    label="What do you want to build?"
                    name="building"
                    required=true
                    rows=6
                    maxlength=2000
                    hint="A few sentences: the problem, who it is for, and which models or data you expect to use."
                    error=field_error(error, "building")
                />
                <SelectField
                    label="Industry"
                    name="industry"
                    options=industries
                    placeholder="Choose an industry"
                    required=true
                    error=field_error(error, "industry")
                />
                <SelectField
                    label="Where are you with it?"
                    name="expected_usage"
                    options=usages
                    placeholder="Choose a stage"
                    required=true
                    error=field_error(error, "expected_usage")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || action.pending().get()
                >
                    "Send my application"
                </button>
            </ActionForm>
        </section>
    }
}
