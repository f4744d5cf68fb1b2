//! Admin console server functions (platform admins only), by area: agents, users,
//! onboarding applications, dataset access and curation, credits (bulk
//! grants included), models and providers, the outbox, the audit log and the overview.
//!
//! Every function here starts with `require_admin()`: the server refuses
//! anonymous callers (401) and developers (403) whatever the pages show.
//!
//! Each area is a folder: one server function per file, and in its
//! `mod.rs` the view types its functions return and the forms several of
//! them take. Everything is re-exported here, so pages name
//! `crate::api::admin::X` whatever the area.

pub mod agents;
pub mod applications;
pub mod audit;
pub mod credits;
pub mod dataset_access;
pub mod datasets;
pub mod institutions;
pub mod models;
pub mod organizations;
pub mod outbox;
pub mod overview;
pub mod support;
pub mod users;

pub use agents::*;
pub use applications::*;
pub use audit::*;
pub use credits::*;
pub use dataset_access::*;
pub use datasets::*;
pub use institutions::*;
pub use models::*;
pub use organizations::*;
pub use outbox::*;
pub use overview::*;
pub use support::*;
pub use users::*;

/// Rows per page in every admin list.
pub const PER_PAGE: i64 = 25;

#[cfg(test)]
mod tests {
    use leptos::server_fn::ServerFn;

    use super::*;

    /// Forms, browser tests and HTTP tests post to these URLs: each function
    /// names its `endpoint`, so the URL does not depend on the module the
    /// function lives in.
    #[test]
    fn every_admin_server_function_keeps_its_url() {
        let paths = [
            (GetOverview::PATH, "admin_overview"),
            (ListStaffAgents::PATH, "admin_list_agents"),
            (GetStaffAgent::PATH, "admin_get_agent"),
            (SaveAgent::PATH, "admin_save_agent"),
            (PublishAgent::PATH, "admin_publish_agent"),
            (UnpublishAgent::PATH, "admin_unpublish_agent"),
            (PreviewAgent::PATH, "admin_preview_agent"),
            (ListUsers::PATH, "admin_list_users"),
            (GetUser::PATH, "admin_get_user"),
            (ChangeRole::PATH, "admin_change_role"),
            (SuspendUser::PATH, "admin_suspend_user"),
            (ReactivateUser::PATH, "admin_reactivate_user"),
            (ListApplications::PATH, "admin_list_applications"),
            (ApproveApplication::PATH, "admin_approve_application"),
            (RejectApplication::PATH, "admin_reject_application"),
            (ListDatasetAccess::PATH, "admin_list_dataset_access"),
            (DecideDatasetAccess::PATH, "admin_decide_dataset_access"),
            (ListCuratedDatasets::PATH, "admin_list_curated_datasets"),
            (GetCuratedDataset::PATH, "admin_get_curated_dataset"),
            (CreateDataset::PATH, "admin_create_dataset"),
            (UpdateDataset::PATH, "admin_update_dataset"),
            (SetDatasetFeatured::PATH, "admin_set_dataset_featured"),
            (StartDatasetVersion::PATH, "admin_start_dataset_version"),
            (SaveDatasetDraft::PATH, "admin_save_dataset_draft"),
            (UploadDatasetFile::PATH, "admin_upload_dataset_file"),
            (ImportDataPackage::PATH, "admin_import_data_package"),
            (RemoveDatasetFile::PATH, "admin_remove_dataset_file"),
            (PublishDatasetVersion::PATH, "admin_publish_dataset_version"),
            (
                UnpublishDatasetVersion::PATH,
                "admin_unpublish_dataset_version",
            ),
            (GetCreditAccount::PATH, "admin_credit_account"),
            (GrantCredits::PATH, "admin_grant_credits"),
            (AdjustCredits::PATH, "admin_adjust_credits"),
            (GetBulkGrant::PATH, "admin_bulk_grant"),
            (UploadBulkGrant::PATH, "admin_upload_bulk_grant"),
            (ApplyBulkGrant::PATH, "admin_apply_bulk_grant"),
            (ModelCatalog::PATH, "admin_model_catalog"),
            (CreateModel::PATH, "admin_create_model"),
            (UpdateModel::PATH, "admin_update_model"),
            (SetModelEnabled::PATH, "admin_set_model_enabled"),
            (CreateProvider::PATH, "admin_create_provider"),
            (UpdateProvider::PATH, "admin_update_provider"),
            (ListOutbox::PATH, "admin_list_outbox"),
            (ListAudit::PATH, "admin_list_audit"),
        ];
        for (path, endpoint) in paths {
            assert_eq!(path, format!("/api/{endpoint}"));
        }
    }
}
