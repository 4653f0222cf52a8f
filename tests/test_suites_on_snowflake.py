"""End-to-end tests of the embedded suites run again with the app's warehouse on Snowflake, through the real
connector over HTTP (tests/snowflake_emulator): the same tests and assertions on the other backend.

A selection per area keeps the Snowflake part to a few minutes (every statement is an HTTP round trip).
"""

import pytest
from _pytest.fixtures import FixtureFunctionDefinition

from tests import (
    test_bronze_api,
    test_bronze_processing,
    test_claim_versions,
    test_gold_api,
    test_layouts_page,
    test_lineage,
    test_load_progress,
    test_ops_admin,
    test_ops_logs,
    test_ops_tasks,
    test_reconciliation,
    test_silver_mappings,
    test_silver_schemas,
    test_silver_tables,
    test_silver_transform,
    test_tpa_api,
)

SELECTED = {
    test_tpa_api: ["test_create_list_update_status_delete"],
    test_bronze_processing: [
        "test_delimited_files_load_every_value_as_text",
        "test_quoted_fields_with_newlines_and_delimiters",
        "test_latin1_fallback",
        "test_excel_sheets_become_records",
        "test_bad_files_fail_with_a_readable_reason",
        "test_failure_inside_the_load_rolls_back_every_row",
        "test_concurrent_workers_claim_each_file_once",
        "test_discover_queues_files_put_by_other_means",
    ],
    test_bronze_api: [
        "test_queue_lists_o2_rows_newest_first_with_filters",
        "test_raw_data_rows_and_file_filter",
        "test_stage_listing_and_unknown_stage",
        "test_delete_src_file_updates_the_queue",
        "test_bulk_delete",
        "test_reprocess_failed_moves_the_file_back",
        "test_delete_file_data",
        "test_tpa_delete_purges_rows_queue_and_files",
    ],
    test_silver_schemas: ["test_create_column_creates_table_and_reflects_at_once", "test_delete_column_and_table"],
    test_silver_tables: ["test_create_physical_table_from_query_with_null_body", "test_delete_physical_table"],
    test_silver_mappings: ["test_auto_ml_creates_expected_unapproved_suggestions", "test_approve_delete_and_edit"],
    test_silver_transform: [
        "test_transform_maps_casts_and_reports_the_contract_result",
        "test_incremental_reads_only_records_no_run_has_read",
        "test_incremental_takes_records_whose_ids_arrive_out_of_order",
        "test_each_rule_type_rejects_to_quarantine",
        "test_correct_replaces_the_value",
        "test_quarantine_release_after_fix",
        "test_transform_all_task_runs_every_mapped_table",
    ],
    test_gold_api: [
        "test_g1_claims_analytics_rows_and_aliases",
        "test_g1_member_360_and_paging",
        "test_g2_stats",
        "test_g4_g5_quality_results_and_stats",
        "test_refresh_endpoint",
    ],
    test_ops_logs: ["test_application_log_filters_and_pages_newest_first", "test_error_resolution_workflow"],
    test_ops_tasks: ["test_list_has_the_task_shape", "test_run_now_runs_the_chain_through_the_same_claim"],
    test_ops_admin: ["test_task_page_actions_are_audited"],
    test_reconciliation: [
        "test_a_clean_file_with_a_matching_trailer_balances_through_every_layer",
        "test_quarantine_a_wrong_trailer_and_gold_filters_are_named_in_the_verdict",
        "test_status_verdicts_pages_and_the_monthly_report",
    ],
    test_claim_versions: [
        "test_a_resubmitted_and_an_adjusted_claim_are_versions_counted_once",
        "test_a_reversal_nets_the_claim_to_zero_and_a_new_version_replaces_it",
    ],
    test_load_progress: ["test_an_excel_load_reports_increasing_rows_ending_at_the_final_count"],
    test_layouts_page: ["test_layouts_are_added_changed_field_by_field_and_deleted"],
    test_lineage: [
        "test_a_silver_row_leads_to_its_bronze_record_and_file_and_back",
        "test_a_gold_cell_names_the_files_that_fed_it",
    ],
}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("snowflake_warehouse")]


def _collect() -> dict[str, object]:
    found: dict[str, object] = {}
    for suite, names in SELECTED.items():
        fixtures = {n: v for n, v in vars(suite).items() if isinstance(v, FixtureFunctionDefinition)}
        for name, value in {**fixtures, **{n: getattr(suite, n) for n in names}}.items():
            if found.setdefault(name, value) is not value:
                raise RuntimeError(f"{name} is defined by two suites")
    return found


globals().update(_collect())
