//! The signed-in and staff pages as lazily loaded routes. In the browser
//! each is a WebAssembly chunk of its own, fetched the first time one of
//! them is shown, so a visitor's first page downloads none of them (the
//! site bundle is split where these are: `bundle_site` in
//! `scripts/lib/tools.sh`). On the server they render as any other page.
//!
//! The public pages (landing, models, sign-in and sign-up, the catalog's
//! empty states) stay in the main module.

use leptos::prelude::*;
use leptos_router::{lazy_route, Lazy, LazyRoute};

use crate::pages::{
    admin, cohorts::CoursePage, cohorts::InstitutionPage, cohorts::JoinPage,
    course_console::CourseAuditPage, course_console::CourseStudentPage,
    course_console::CourseUsagePage, credits::CreditsPage, dashboard::DashboardPage,
    design::DesignPage, keys::KeysPage, notifications::NotificationPage,
    notifications::NotificationSettingsPage, notifications::NotificationsPage,
    onboarding::OnboardingPage, org_webhooks::OrganizationWebhooksPage,
    organizations::OrganizationAuditPage, organizations::OrganizationKeysPage,
    organizations::OrganizationPage, organizations::OrganizationUsagePage,
    organizations::OrganizationsPage, playground::ConversationPage, playground::PlaygroundPage,
    playground::SharedPage, profile::ProfilePage, support::NewSupportPage, support::SupportPage,
    support::SupportRequestPage, usage::UsagePage,
};

/// One lazily loaded route per page: `route() -> Route => page component`.
/// A route's view is `view=lazy::route()` (the view macro cannot read a
/// turbofish).
macro_rules! lazy_pages {
    ($($view:ident -> $route:ident => $page:path;)*) => {$(
        #[doc = concat!("[`", stringify!($page), "`], loaded when first shown.")]
        pub struct $route;

        #[doc = concat!("The view of [`", stringify!($page), "`]'s route.")]
        pub fn $view() -> Lazy<$route> {
            Lazy::new()
        }

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                crate::server::assets::preload_lazy_chunks();
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    dashboard -> Dashboard => DashboardPage;
    credits -> Credits => CreditsPage;
    keys -> Keys => KeysPage;
    organizations -> Organizations => OrganizationsPage;
    organization -> Organization => OrganizationPage;
    organization_keys -> OrganizationKeys => OrganizationKeysPage;
    organization_usage -> OrganizationUsage => OrganizationUsagePage;
    organization_audit -> OrganizationAudit => OrganizationAuditPage;
    organization_webhooks -> OrganizationWebhooks => OrganizationWebhooksPage;
    notifications -> Notifications => NotificationsPage;
    notification -> Notification => NotificationPage;
    notification_settings -> NotificationSettings => NotificationSettingsPage;
    institution -> Institution => InstitutionPage;
    course -> Course => CoursePage;
    course_usage -> CourseUsage => CourseUsagePage;
    course_student -> CourseStudent => CourseStudentPage;
    course_audit -> CourseAudit => CourseAuditPage;
    join -> Join => JoinPage;
    usage -> Usage => UsagePage;
    playground -> Playground => PlaygroundPage;
    conversation -> Conversation => ConversationPage;
    shared -> Shared => SharedPage;
    onboarding -> Onboarding => OnboardingPage;
    profile -> Profile => ProfilePage;
    design -> Design => DesignPage;
    admin_home -> AdminHome => admin::AdminHomePage;
    admin_agents -> AdminAgents => admin::AdminAgentsPage;
    admin_agent -> AdminAgent => admin::AdminAgentPage;
    admin_users -> AdminUsers => admin::AdminUsersPage;
    admin_user -> AdminUser => admin::AdminUserPage;
    admin_applications -> AdminApplications => admin::AdminApplicationsPage;
    admin_dataset_access -> AdminDatasetAccess => admin::AdminDatasetAccessPage;
    admin_datasets -> AdminDatasets => admin::AdminDatasetsPage;
    admin_new_dataset -> AdminNewDataset => admin::AdminNewDatasetPage;
    admin_dataset -> AdminDataset => admin::AdminDatasetPage;
    admin_credits -> AdminCredits => admin::AdminCreditsPage;
    admin_bulk_credits -> AdminBulkCredits => admin::AdminBulkCreditsPage;
    admin_models -> AdminModels => admin::AdminModelsPage;
    admin_new_model -> AdminNewModel => admin::AdminNewModelPage;
    admin_new_provider -> AdminNewProvider => admin::AdminNewProviderPage;
    admin_edit_provider -> AdminEditProvider => admin::AdminEditProviderPage;
    admin_edit_model -> AdminEditModel => admin::AdminEditModelPage;
    admin_outbox -> AdminOutbox => admin::AdminOutboxPage;
    admin_audit -> AdminAudit => admin::AdminAuditPage;
    admin_organizations -> AdminOrganizations => admin::AdminOrganizationsPage;
    admin_institutions -> AdminInstitutions => admin::AdminInstitutionsPage;
    support -> Support => SupportPage;
    support_new -> SupportNew => NewSupportPage;
    support_request -> SupportRequest => SupportRequestPage;
    admin_support -> AdminSupport => admin::AdminSupportPage;
    admin_support_request -> AdminSupportRequest => admin::AdminSupportRequestPage;
    admin_support_canned -> AdminSupportCanned => admin::AdminCannedRepliesPage;
}
