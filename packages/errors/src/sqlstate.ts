/**
 * SQLSTATE codes: the one table of error codes every package raises and the wire protocol
 * reports. Codes and condition names are PostgreSQL's (Appendix A of its manual), because
 * drivers and applications branch on them: a retry loop looks for 40001, an upsert fallback
 * for 23505. Add a code here, never a literal string elsewhere.
 * Exports: SqlState (name -> code), sqlStateClass, conditionNameOf.
 */

/** [code, PostgreSQL condition name] rows; SqlState below is derived from this table. */
const table = [
  // Class 00 / 01 / 02: success, warnings, no data
  ['00000', 'successful_completion'],
  ['01000', 'warning'],
  ['02000', 'no_data'],
  // Class 03 — SQL statement not yet complete
  ['03000', 'sql_statement_not_yet_complete'],
  // Class 08 — connection exception
  ['08000', 'connection_exception'],
  ['08003', 'connection_does_not_exist'],
  ['08006', 'connection_failure'],
  ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
  ['08004', 'sqlserver_rejected_establishment_of_sqlconnection'],
  ['08P01', 'protocol_violation'],
  // Class 0A — feature not supported
  ['0A000', 'feature_not_supported'],
  // Class 0B / 0L / 0P
  ['0B000', 'invalid_transaction_initiation'],
  ['0L000', 'invalid_grantor'],
  ['0P000', 'invalid_role_specification'],
  // Class 21 — cardinality violation
  ['21000', 'cardinality_violation'],
  // Class 22 — data exception
  ['22000', 'data_exception'],
  ['2202E', 'array_subscript_error'],
  ['22021', 'character_not_in_repertoire'],
  ['22008', 'datetime_field_overflow'],
  ['22012', 'division_by_zero'],
  ['22005', 'error_in_assignment'],
  ['2200B', 'escape_character_conflict'],
  ['22022', 'indicator_overflow'],
  ['22015', 'interval_field_overflow'],
  ['2201E', 'invalid_argument_for_logarithm'],
  ['22014', 'invalid_argument_for_ntile_function'],
  ['22016', 'invalid_argument_for_nth_value_function'],
  ['2201F', 'invalid_argument_for_power_function'],
  ['2201G', 'invalid_argument_for_width_bucket_function'],
  ['22018', 'invalid_character_value_for_cast'],
  ['22007', 'invalid_datetime_format'],
  ['22019', 'invalid_escape_character'],
  ['2200D', 'invalid_escape_octet'],
  ['22025', 'invalid_escape_sequence'],
  ['22P06', 'nonstandard_use_of_escape_character'],
  ['22010', 'invalid_indicator_parameter_value'],
  ['22023', 'invalid_parameter_value'],
  ['22013', 'invalid_preceding_or_following_size'],
  ['2201B', 'invalid_regular_expression'],
  ['2201W', 'invalid_row_count_in_limit_clause'],
  ['2201X', 'invalid_row_count_in_result_offset_clause'],
  ['22009', 'invalid_time_zone_displacement_value'],
  ['2200C', 'invalid_use_of_escape_character'],
  ['2200G', 'most_specific_type_mismatch'],
  ['22004', 'null_value_not_allowed'],
  ['22002', 'null_value_no_indicator_parameter'],
  ['22003', 'numeric_value_out_of_range'],
  ['2200H', 'sequence_generator_limit_exceeded'],
  ['22026', 'string_data_length_mismatch'],
  ['22001', 'string_data_right_truncation'],
  ['22011', 'substring_error'],
  ['22027', 'trim_error'],
  ['22024', 'unterminated_c_string'],
  ['2200F', 'zero_length_character_string'],
  ['22P01', 'floating_point_exception'],
  ['22P02', 'invalid_text_representation'],
  ['22P03', 'invalid_binary_representation'],
  ['22P04', 'bad_copy_file_format'],
  ['22P05', 'untranslatable_character'],
  ['2200L', 'not_an_xml_document'],
  ['22030', 'duplicate_json_object_key_value'],
  ['22031', 'invalid_argument_for_sql_json_datetime_function'],
  ['22032', 'invalid_json_text'],
  ['22033', 'invalid_sql_json_subscript'],
  ['22034', 'more_than_one_sql_json_item'],
  ['22035', 'no_sql_json_item'],
  ['22036', 'non_numeric_sql_json_item'],
  ['22037', 'non_unique_keys_in_a_json_object'],
  ['22038', 'singleton_sql_json_item_required'],
  ['22039', 'sql_json_array_not_found'],
  ['2203A', 'sql_json_member_not_found'],
  ['2203B', 'sql_json_number_not_found'],
  ['2203C', 'sql_json_object_not_found'],
  ['2203D', 'too_many_json_array_elements'],
  ['2203E', 'too_many_json_object_members'],
  ['2203F', 'sql_json_scalar_required'],
  // Class 23 — integrity constraint violation
  ['23000', 'integrity_constraint_violation'],
  ['23001', 'restrict_violation'],
  ['23502', 'not_null_violation'],
  ['23503', 'foreign_key_violation'],
  ['23505', 'unique_violation'],
  ['23514', 'check_violation'],
  ['23P01', 'exclusion_violation'],
  // Class 24 — invalid cursor state
  ['24000', 'invalid_cursor_state'],
  // Class 25 — invalid transaction state
  ['25000', 'invalid_transaction_state'],
  ['25001', 'active_sql_transaction'],
  ['25002', 'branch_transaction_already_active'],
  ['25008', 'held_cursor_requires_same_isolation_level'],
  ['25003', 'inappropriate_access_mode_for_branch_transaction'],
  ['25004', 'inappropriate_isolation_level_for_branch_transaction'],
  ['25005', 'no_active_sql_transaction_for_branch_transaction'],
  ['25006', 'read_only_sql_transaction'],
  ['25007', 'schema_and_data_statement_mixing_not_supported'],
  ['25P01', 'no_active_sql_transaction'],
  ['25P02', 'in_failed_sql_transaction'],
  ['25P03', 'idle_in_transaction_session_timeout'],
  // Class 26 / 27 / 28
  ['26000', 'invalid_sql_statement_name'],
  ['27000', 'triggered_data_change_violation'],
  ['28000', 'invalid_authorization_specification'],
  ['28P01', 'invalid_password'],
  // Class 2B / 2D / 2F / 34 / 38 / 39 / 3B / 3D / 3F
  ['2B000', 'dependent_privilege_descriptors_still_exist'],
  ['2BP01', 'dependent_objects_still_exist'],
  ['2D000', 'invalid_transaction_termination'],
  ['2F000', 'sql_routine_exception'],
  ['34000', 'invalid_cursor_name'],
  ['38000', 'external_routine_exception'],
  ['39000', 'external_routine_invocation_exception'],
  ['3B000', 'savepoint_exception'],
  ['3B001', 'invalid_savepoint_specification'],
  ['3D000', 'invalid_catalog_name'],
  ['3F000', 'invalid_schema_name'],
  // Class 40 — transaction rollback
  ['40000', 'transaction_rollback'],
  ['40002', 'transaction_integrity_constraint_violation'],
  ['40001', 'serialization_failure'],
  ['40003', 'statement_completion_unknown'],
  ['40P01', 'deadlock_detected'],
  // Class 42 — syntax error or access rule violation
  ['42000', 'syntax_error_or_access_rule_violation'],
  ['42601', 'syntax_error'],
  ['42501', 'insufficient_privilege'],
  ['42846', 'cannot_coerce'],
  ['42803', 'grouping_error'],
  ['42P20', 'windowing_error'],
  ['42P19', 'invalid_recursion'],
  ['42830', 'invalid_foreign_key'],
  ['42602', 'invalid_name'],
  ['42622', 'name_too_long'],
  ['42939', 'reserved_name'],
  ['42804', 'datatype_mismatch'],
  ['42P18', 'indeterminate_datatype'],
  ['42P21', 'collation_mismatch'],
  ['42P22', 'indeterminate_collation'],
  ['42809', 'wrong_object_type'],
  ['428C9', 'generated_always'],
  ['42703', 'undefined_column'],
  ['42883', 'undefined_function'],
  ['42P01', 'undefined_table'],
  ['42P02', 'undefined_parameter'],
  ['42704', 'undefined_object'],
  ['42701', 'duplicate_column'],
  ['42P03', 'duplicate_cursor'],
  ['42P04', 'duplicate_database'],
  ['42723', 'duplicate_function'],
  ['42P05', 'duplicate_prepared_statement'],
  ['42P06', 'duplicate_schema'],
  ['42P07', 'duplicate_table'],
  ['42712', 'duplicate_alias'],
  ['42710', 'duplicate_object'],
  ['42702', 'ambiguous_column'],
  ['42725', 'ambiguous_function'],
  ['42P08', 'ambiguous_parameter'],
  ['42P09', 'ambiguous_alias'],
  ['42P10', 'invalid_column_reference'],
  ['42611', 'invalid_column_definition'],
  ['42P11', 'invalid_cursor_definition'],
  ['42P12', 'invalid_database_definition'],
  ['42P13', 'invalid_function_definition'],
  ['42P14', 'invalid_prepared_statement_definition'],
  ['42P15', 'invalid_schema_definition'],
  ['42P16', 'invalid_table_definition'],
  ['42P17', 'invalid_object_definition'],
  // Class 44 / 53 / 54 / 55 / 57 / 58
  ['44000', 'with_check_option_violation'],
  ['53000', 'insufficient_resources'],
  ['53100', 'disk_full'],
  ['53200', 'out_of_memory'],
  ['53300', 'too_many_connections'],
  ['53400', 'configuration_limit_exceeded'],
  ['54000', 'program_limit_exceeded'],
  ['54001', 'statement_too_complex'],
  ['54011', 'too_many_columns'],
  ['54023', 'too_many_arguments'],
  ['55000', 'object_not_in_prerequisite_state'],
  ['55006', 'object_in_use'],
  ['55P02', 'cant_change_runtime_param'],
  ['55P03', 'lock_not_available'],
  ['55P04', 'unsafe_new_enum_value_usage'],
  ['57000', 'operator_intervention'],
  ['57014', 'query_canceled'],
  ['57P01', 'admin_shutdown'],
  ['57P02', 'crash_shutdown'],
  ['57P03', 'cannot_connect_now'],
  ['57P04', 'database_dropped'],
  ['57P05', 'idle_session_timeout'],
  ['58000', 'system_error'],
  ['58030', 'io_error'],
  ['58P01', 'undefined_file'],
  ['58P02', 'duplicate_file'],
  // Class 72 / F0 / HV / P0 / XX
  ['72000', 'snapshot_too_old'],
  ['F0000', 'config_file_error'],
  ['F0001', 'lock_file_exists'],
  ['P0000', 'plpgsql_error'],
  ['P0001', 'raise_exception'],
  ['P0002', 'no_data_found'],
  ['P0003', 'too_many_rows'],
  ['P0004', 'assert_failure'],
  ['XX000', 'internal_error'],
  ['XX001', 'data_corrupted'],
  ['XX002', 'index_corrupted'],
] as const;

type Row = (typeof table)[number];
type ConditionName = Row[1];

/** PascalCase of a condition name: unique_violation -> UniqueViolation. */
type Pascal<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Capitalize<Head>}${Pascal<Tail>}`
  : Capitalize<S>;

type SqlStateTable = { readonly [R in Row as Pascal<R[1]>]: R[0] };

/** A five-character SQLSTATE code from the table above. */
export type SqlStateCode = Row[0];

function pascal(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Code by PascalCase condition name: `SqlState.UniqueViolation === '23505'`. */
export const SqlState: SqlStateTable = Object.freeze(
  Object.fromEntries(table.map(([code, name]) => [pascal(name), code])),
) as SqlStateTable;

const nameByCode: ReadonlyMap<string, ConditionName> = new Map(table.map(([code, name]) => [code, name]));

/** PostgreSQL's condition name for a code (`23505` -> `unique_violation`), if the code is known. */
export function conditionNameOf(code: string): string | undefined {
  return nameByCode.get(code);
}

/** The two-character class of a code: `23505` -> `23`. Errors "match by class" in differential tests. */
export function sqlStateClass(code: string): string {
  return code.slice(0, 2);
}

/** Whether `code` is one of the table's codes. */
export function isSqlStateCode(code: string): code is SqlStateCode {
  return nameByCode.has(code);
}
