/**
 * Column names and PostgreSQL 15 type oids of the pg_catalog and information_schema relations
 * Keel computes, with PostgreSQL's relation oids and kinds, taken from a PostgreSQL 15 server, so
 * names, order and types are PostgreSQL's own (column-types.ts maps the few types the query
 * processor cannot handle yet to stand-ins). Information_schema domains (sql_identifier,
 * cardinal_number, character_data, yes_or_no, time_stamp) are listed by their base types.
 * Each relation is one line "schema.name oid relkind: column:typeoid ...", parsed once.
 * Exports: PgRelationShape, pgRelationShapes.
 */

export interface PgRelationShape {
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  oid: number;
  /** 'r' for a catalog table, 'v' for a view, as pg_class.relkind says. */
  relkind: 'r' | 'v';
  columns: [name: string, typeOid: number][];
}

const table = [
  'information_schema.character_sets 13250 v: character_set_catalog:19 character_set_schema:19 character_set_name:19 character_repertoire:19 form_of_use:19 default_collate_catalog:19 default_collate_schema:19 default_collate_name:19',
  'information_schema.check_constraints 13260 v: constraint_catalog:19 constraint_schema:19 constraint_name:19 check_clause:1043',
  'information_schema.columns 13295 v: table_catalog:19 table_schema:19 table_name:19 column_name:19 ordinal_position:23 column_default:1043 is_nullable:1043 data_type:1043 character_maximum_length:23 character_octet_length:23 numeric_precision:23 numeric_precision_radix:23 numeric_scale:23 datetime_precision:23 interval_type:1043 interval_precision:23 character_set_catalog:19 character_set_schema:19 character_set_name:19 collation_catalog:19 collation_schema:19 collation_name:19 domain_catalog:19 domain_schema:19 domain_name:19 udt_catalog:19 udt_schema:19 udt_name:19 scope_catalog:19 scope_schema:19 scope_name:19 maximum_cardinality:23 dtd_identifier:19 is_self_referencing:1043 is_identity:1043 identity_generation:1043 identity_start:1043 identity_increment:1043 identity_maximum:1043 identity_minimum:1043 identity_cycle:1043 is_generated:1043 generation_expression:1043 is_updatable:1043',
  'information_schema.constraint_column_usage 13300 v: table_catalog:19 table_schema:19 table_name:19 column_name:19 constraint_catalog:19 constraint_schema:19 constraint_name:19',
  'information_schema.element_types 13493 v: object_catalog:19 object_schema:19 object_name:19 object_type:1043 collection_type_identifier:19 data_type:1043 character_maximum_length:23 character_octet_length:23 character_set_catalog:19 character_set_schema:19 character_set_name:19 collation_catalog:19 collation_schema:19 collation_name:19 numeric_precision:23 numeric_precision_radix:23 numeric_scale:23 datetime_precision:23 interval_type:1043 interval_precision:23 domain_default:1043 udt_catalog:19 udt_schema:19 udt_name:19 scope_catalog:19 scope_schema:19 scope_name:19 maximum_cardinality:23 dtd_identifier:19',
  'information_schema.key_column_usage 13329 v: constraint_catalog:19 constraint_schema:19 constraint_name:19 table_catalog:19 table_schema:19 table_name:19 column_name:19 ordinal_position:23 position_in_unique_constraint:23',
  'information_schema.parameters 13334 v: specific_catalog:19 specific_schema:19 specific_name:19 ordinal_position:23 parameter_mode:1043 is_result:1043 as_locator:1043 parameter_name:19 data_type:1043 character_maximum_length:23 character_octet_length:23 character_set_catalog:19 character_set_schema:19 character_set_name:19 collation_catalog:19 collation_schema:19 collation_name:19 numeric_precision:23 numeric_precision_radix:23 numeric_scale:23 datetime_precision:23 interval_type:1043 interval_precision:23 udt_catalog:19 udt_schema:19 udt_name:19 scope_catalog:19 scope_schema:19 scope_name:19 maximum_cardinality:23 dtd_identifier:19 parameter_default:1043',
  'information_schema.referential_constraints 13339 v: constraint_catalog:19 constraint_schema:19 constraint_name:19 unique_constraint_catalog:19 unique_constraint_schema:19 unique_constraint_name:19 match_option:1043 update_rule:1043 delete_rule:1043',
  'information_schema.routines 13377 v: specific_catalog:19 specific_schema:19 specific_name:19 routine_catalog:19 routine_schema:19 routine_name:19 routine_type:1043 module_catalog:19 module_schema:19 module_name:19 udt_catalog:19 udt_schema:19 udt_name:19 data_type:1043 character_maximum_length:23 character_octet_length:23 character_set_catalog:19 character_set_schema:19 character_set_name:19 collation_catalog:19 collation_schema:19 collation_name:19 numeric_precision:23 numeric_precision_radix:23 numeric_scale:23 datetime_precision:23 interval_type:1043 interval_precision:23 type_udt_catalog:19 type_udt_schema:19 type_udt_name:19 scope_catalog:19 scope_schema:19 scope_name:19 maximum_cardinality:23 dtd_identifier:19 routine_body:1043 routine_definition:1043 external_name:1043 external_language:1043 parameter_style:1043 is_deterministic:1043 sql_data_access:1043 is_null_call:1043 sql_path:1043 schema_level_routine:1043 max_dynamic_result_sets:23 is_user_defined_cast:1043 is_implicitly_invocable:1043 security_type:1043 to_sql_specific_catalog:19 to_sql_specific_schema:19 to_sql_specific_name:19 as_locator:1043 created:1184 last_altered:1184 new_savepoint_level:1043 is_udt_dependent:1043 result_cast_from_data_type:1043 result_cast_as_locator:1043 result_cast_char_max_length:23 result_cast_char_octet_length:23 result_cast_char_set_catalog:19 result_cast_char_set_schema:19 result_cast_char_set_name:19 result_cast_collation_catalog:19 result_cast_collation_schema:19 result_cast_collation_name:19 result_cast_numeric_precision:23 result_cast_numeric_precision_radix:23 result_cast_numeric_scale:23 result_cast_datetime_precision:23 result_cast_interval_type:1043 result_cast_interval_precision:23 result_cast_type_udt_catalog:19 result_cast_type_udt_schema:19 result_cast_type_udt_name:19 result_cast_scope_catalog:19 result_cast_scope_schema:19 result_cast_scope_name:19 result_cast_maximum_cardinality:23 result_cast_dtd_identifier:19',
  'information_schema.schemata 13382 v: catalog_name:19 schema_name:19 schema_owner:19 default_character_set_catalog:19 default_character_set_schema:19 default_character_set_name:19 sql_path:1043',
  'information_schema.sequences 13386 v: sequence_catalog:19 sequence_schema:19 sequence_name:19 data_type:1043 numeric_precision:23 numeric_precision_radix:23 numeric_scale:23 start_value:1043 minimum_value:1043 maximum_value:1043 increment:1043 cycle_option:1043',
  'information_schema.table_constraints 13411 v: constraint_catalog:19 constraint_schema:19 constraint_name:19 table_catalog:19 table_schema:19 table_name:19 constraint_type:1043 is_deferrable:1043 initially_deferred:1043 enforced:1043 nulls_distinct:1043',
  'information_schema.tables 13425 v: table_catalog:19 table_schema:19 table_name:19 table_type:1043 self_referencing_column_name:19 reference_generation:1043 user_defined_type_catalog:19 user_defined_type_schema:19 user_defined_type_name:19 is_insertable_into:1043 is_typed:1043 commit_action:1043',
  'information_schema.triggers 13440 v: trigger_catalog:19 trigger_schema:19 trigger_name:19 event_manipulation:1043 event_object_catalog:19 event_object_schema:19 event_object_table:19 action_order:23 action_condition:1043 action_statement:1043 action_orientation:1043 action_timing:1043 action_reference_old_table:19 action_reference_new_table:19 action_reference_old_row:19 action_reference_new_row:19 created:1184',
  'information_schema.views 13483 v: table_catalog:19 table_schema:19 table_name:19 view_definition:1043 check_option:1043 is_updatable:1043 is_insertable_into:1043 is_trigger_updatable:1043 is_trigger_deletable:1043 is_trigger_insertable_into:1043',
  'pg_catalog.pg_aggregate 2600 r: aggfnoid:24 aggkind:18 aggnumdirectargs:21 aggtransfn:24 aggfinalfn:24 aggcombinefn:24 aggserialfn:24 aggdeserialfn:24 aggmtransfn:24 aggminvtransfn:24 aggmfinalfn:24 aggfinalextra:16 aggmfinalextra:16 aggfinalmodify:18 aggmfinalmodify:18 aggsortop:26 aggtranstype:26 aggtransspace:23 aggmtranstype:26 aggmtransspace:23 agginitval:25 aggminitval:25',
  'pg_catalog.pg_am 2601 r: oid:26 amname:19 amhandler:24 amtype:18',
  'pg_catalog.pg_attrdef 2604 r: oid:26 adrelid:26 adnum:21 adbin:194',
  'pg_catalog.pg_attribute 1249 r: attrelid:26 attname:19 atttypid:26 attstattarget:23 attlen:21 attnum:21 attndims:23 attcacheoff:23 atttypmod:23 attbyval:16 attalign:18 attstorage:18 attcompression:18 attnotnull:16 atthasdef:16 atthasmissing:16 attidentity:18 attgenerated:18 attisdropped:16 attislocal:16 attinhcount:23 attcollation:26 attacl:1034 attoptions:1009 attfdwoptions:1009 attmissingval:2277',
  'pg_catalog.pg_auth_members 1261 r: roleid:26 member:26 grantor:26 admin_option:16',
  'pg_catalog.pg_authid 1260 r: oid:26 rolname:19 rolsuper:16 rolinherit:16 rolcreaterole:16 rolcreatedb:16 rolcanlogin:16 rolreplication:16 rolbypassrls:16 rolconnlimit:23 rolpassword:25 rolvaliduntil:1184',
  'pg_catalog.pg_cast 2605 r: oid:26 castsource:26 casttarget:26 castfunc:26 castcontext:18 castmethod:18',
  'pg_catalog.pg_class 1259 r: oid:26 relname:19 relnamespace:26 reltype:26 reloftype:26 relowner:26 relam:26 relfilenode:26 reltablespace:26 relpages:23 reltuples:700 relallvisible:23 reltoastrelid:26 relhasindex:16 relisshared:16 relpersistence:18 relkind:18 relnatts:21 relchecks:21 relhasrules:16 relhastriggers:16 relhassubclass:16 relrowsecurity:16 relforcerowsecurity:16 relispopulated:16 relreplident:18 relispartition:16 relrewrite:26 relfrozenxid:28 relminmxid:28 relacl:1034 reloptions:1009 relpartbound:194',
  'pg_catalog.pg_collation 3456 r: oid:26 collname:19 collnamespace:26 collowner:26 collprovider:18 collisdeterministic:16 collencoding:23 collcollate:25 collctype:25 colliculocale:25 collversion:25',
  'pg_catalog.pg_constraint 2606 r: oid:26 conname:19 connamespace:26 contype:18 condeferrable:16 condeferred:16 convalidated:16 conrelid:26 contypid:26 conindid:26 conparentid:26 confrelid:26 confupdtype:18 confdeltype:18 confmatchtype:18 conislocal:16 coninhcount:23 connoinherit:16 conkey:1005 confkey:1005 conpfeqop:1028 conppeqop:1028 conffeqop:1028 confdelsetcols:1005 conexclop:1028 conbin:194',
  'pg_catalog.pg_conversion 2607 r: oid:26 conname:19 connamespace:26 conowner:26 conforencoding:23 contoencoding:23 conproc:24 condefault:16',
  'pg_catalog.pg_database 1262 r: oid:26 datname:19 datdba:26 encoding:23 datlocprovider:18 datistemplate:16 datallowconn:16 datconnlimit:23 datfrozenxid:28 datminmxid:28 dattablespace:26 datcollate:25 datctype:25 daticulocale:25 datcollversion:25 datacl:1034',
  'pg_catalog.pg_default_acl 826 r: oid:26 defaclrole:26 defaclnamespace:26 defaclobjtype:18 defaclacl:1034',
  'pg_catalog.pg_depend 2608 r: classid:26 objid:26 objsubid:23 refclassid:26 refobjid:26 refobjsubid:23 deptype:18',
  'pg_catalog.pg_description 2609 r: objoid:26 classoid:26 objsubid:23 description:25',
  'pg_catalog.pg_enum 3501 r: oid:26 enumtypid:26 enumsortorder:700 enumlabel:19',
  'pg_catalog.pg_event_trigger 3466 r: oid:26 evtname:19 evtevent:19 evtowner:26 evtfoid:26 evtenabled:18 evttags:1009',
  'pg_catalog.pg_extension 3079 r: oid:26 extname:19 extowner:26 extnamespace:26 extrelocatable:16 extversion:25 extconfig:1028 extcondition:1009',
  'pg_catalog.pg_foreign_data_wrapper 2328 r: oid:26 fdwname:19 fdwowner:26 fdwhandler:26 fdwvalidator:26 fdwacl:1034 fdwoptions:1009',
  'pg_catalog.pg_foreign_server 1417 r: oid:26 srvname:19 srvowner:26 srvfdw:26 srvtype:25 srvversion:25 srvacl:1034 srvoptions:1009',
  'pg_catalog.pg_foreign_table 3118 r: ftrelid:26 ftserver:26 ftoptions:1009',
  'pg_catalog.pg_group 12010 v: groname:19 grosysid:26 grolist:1028',
  'pg_catalog.pg_index 2610 r: indexrelid:26 indrelid:26 indnatts:21 indnkeyatts:21 indisunique:16 indnullsnotdistinct:16 indisprimary:16 indisexclusion:16 indimmediate:16 indisclustered:16 indisvalid:16 indcheckxmin:16 indisready:16 indislive:16 indisreplident:16 indkey:22 indcollation:30 indclass:30 indoption:22 indexprs:194 indpred:194',
  'pg_catalog.pg_indexes 12043 v: schemaname:19 tablename:19 indexname:19 tablespace:19 indexdef:25',
  'pg_catalog.pg_inherits 2611 r: inhrelid:26 inhparent:26 inhseqno:23 inhdetachpending:16',
  'pg_catalog.pg_init_privs 3394 r: objoid:26 classoid:26 objsubid:23 privtype:18 initprivs:1034',
  'pg_catalog.pg_language 2612 r: oid:26 lanname:19 lanowner:26 lanispl:16 lanpltrusted:16 lanplcallfoid:26 laninline:26 lanvalidator:26 lanacl:1034',
  'pg_catalog.pg_locks 12073 v: locktype:25 database:26 relation:26 page:23 tuple:21 virtualxid:25 transactionid:28 classid:26 objid:26 objsubid:21 virtualtransaction:25 pid:23 mode:25 granted:16 fastpath:16 waitstart:1184',
  'pg_catalog.pg_matviews 12038 v: schemaname:19 matviewname:19 matviewowner:19 tablespace:19 hasindexes:16 ispopulated:16 definition:25',
  'pg_catalog.pg_namespace 2615 r: oid:26 nspname:19 nspowner:26 nspacl:1034',
  'pg_catalog.pg_opclass 2616 r: oid:26 opcmethod:26 opcname:19 opcnamespace:26 opcowner:26 opcfamily:26 opcintype:26 opcdefault:16 opckeytype:26',
  'pg_catalog.pg_operator 2617 r: oid:26 oprname:19 oprnamespace:26 oprowner:26 oprkind:18 oprcanmerge:16 oprcanhash:16 oprleft:26 oprright:26 oprresult:26 oprcom:26 oprnegate:26 oprcode:24 oprrest:24 oprjoin:24',
  'pg_catalog.pg_partitioned_table 3350 r: partrelid:26 partstrat:18 partnatts:21 partdefid:26 partattrs:22 partclass:30 partcollation:30 partexprs:194',
  'pg_catalog.pg_policy 3256 r: oid:26 polname:19 polrelid:26 polcmd:18 polpermissive:16 polroles:1028 polqual:194 polwithcheck:194',
  'pg_catalog.pg_prepared_xacts 12090 v: transaction:28 gid:25 prepared:1184 owner:19 database:19',
  'pg_catalog.pg_proc 1255 r: oid:26 proname:19 pronamespace:26 proowner:26 prolang:26 procost:700 prorows:700 provariadic:26 prosupport:24 prokind:18 prosecdef:16 proleakproof:16 proisstrict:16 proretset:16 provolatile:18 proparallel:18 pronargs:21 pronargdefaults:21 prorettype:26 proargtypes:30 proallargtypes:1028 proargmodes:1002 proargnames:1009 proargdefaults:194 protrftypes:1028 prosrc:25 probin:25 prosqlbody:194 proconfig:1009 proacl:1034',
  'pg_catalog.pg_publication 6104 r: oid:26 pubname:19 pubowner:26 puballtables:16 pubinsert:16 pubupdate:16 pubdelete:16 pubtruncate:16 pubviaroot:16',
  'pg_catalog.pg_publication_namespace 6237 r: oid:26 pnpubid:26 pnnspid:26',
  'pg_catalog.pg_publication_rel 6106 r: oid:26 prpubid:26 prrelid:26 prqual:194 prattrs:22',
  'pg_catalog.pg_range 3541 r: rngtypid:26 rngsubtype:26 rngmultitypid:26 rngcollation:26 rngsubopc:26 rngcanonical:24 rngsubdiff:24',
  'pg_catalog.pg_replication_slots 12257 v: slot_name:19 plugin:19 slot_type:25 datoid:26 database:19 temporary:16 active:16 active_pid:23 xmin:28 catalog_xmin:28 restart_lsn:3220 confirmed_flush_lsn:3220 wal_status:25 safe_wal_size:20 two_phase:16',
  'pg_catalog.pg_rewrite 2618 r: oid:26 rulename:19 ev_class:26 ev_type:18 ev_enabled:18 is_instead:16 ev_qual:194 ev_action:194',
  'pg_catalog.pg_roles 12000 v: rolname:19 rolsuper:16 rolinherit:16 rolcreaterole:16 rolcreatedb:16 rolcanlogin:16 rolreplication:16 rolconnlimit:23 rolpassword:25 rolvaliduntil:1184 rolbypassrls:16 rolconfig:1009 oid:26',
  'pg_catalog.pg_seclabel 3596 r: objoid:26 classoid:26 objsubid:23 provider:25 label:25',
  'pg_catalog.pg_sequence 2224 r: seqrelid:26 seqtypid:26 seqstart:20 seqincrement:20 seqmax:20 seqmin:20 seqcache:20 seqcycle:16',
  'pg_catalog.pg_sequences 12048 v: schemaname:19 sequencename:19 sequenceowner:19 data_type:2206 start_value:20 min_value:20 max_value:20 increment_by:20 cycle:16 cache_size:20 last_value:20',
  'pg_catalog.pg_settings 12104 v: name:25 setting:25 unit:25 category:25 short_desc:25 extra_desc:25 context:25 vartype:25 source:25 min_val:25 max_val:25 enumvals:1009 boot_val:25 reset_val:25 sourcefile:25 sourceline:23 pending_restart:16',
  'pg_catalog.pg_shadow 12005 v: usename:19 usesysid:26 usecreatedb:16 usesuper:16 userepl:16 usebypassrls:16 passwd:25 valuntil:1184 useconfig:1009',
  'pg_catalog.pg_shdescription 2396 r: objoid:26 classoid:26 description:25',
  'pg_catalog.pg_stat_activity 12222 v: datid:26 datname:19 pid:23 leader_pid:23 usesysid:26 usename:19 application_name:25 client_addr:869 client_hostname:25 client_port:23 backend_start:1184 xact_start:1184 query_start:1184 state_change:1184 wait_event_type:25 wait_event:25 state:25 backend_xid:28 backend_xmin:28 query_id:20 query:25 backend_type:25',
  'pg_catalog.pg_stat_all_tables 12142 v: relid:26 schemaname:19 relname:19 seq_scan:20 seq_tup_read:20 idx_scan:20 idx_tup_fetch:20 n_tup_ins:20 n_tup_upd:20 n_tup_del:20 n_tup_hot_upd:20 n_live_tup:20 n_dead_tup:20 n_mod_since_analyze:20 n_ins_since_vacuum:20 last_vacuum:1184 last_autovacuum:1184 last_analyze:1184 last_autoanalyze:1184 vacuum_count:20 autovacuum_count:20 analyze_count:20 autoanalyze_count:20',
  'pg_catalog.pg_stat_database 12266 v: datid:26 datname:19 numbackends:23 xact_commit:20 xact_rollback:20 blks_read:20 blks_hit:20 tup_returned:20 tup_fetched:20 tup_inserted:20 tup_updated:20 tup_deleted:20 conflicts:20 temp_files:20 temp_bytes:20 deadlocks:20 checksum_failures:20 checksum_last_failure:1184 blk_read_time:701 blk_write_time:701 session_time:701 active_time:701 idle_in_transaction_time:701 sessions:20 sessions_abandoned:20 sessions_fatal:20 sessions_killed:20 stats_reset:1184',
  'pg_catalog.pg_stat_replication 12227 v: pid:23 usesysid:26 usename:19 application_name:25 client_addr:869 client_hostname:25 client_port:23 backend_start:1184 backend_xmin:28 state:25 sent_lsn:3220 write_lsn:3220 flush_lsn:3220 replay_lsn:3220 write_lag:1186 flush_lag:1186 replay_lag:1186 sync_priority:23 sync_state:25 reply_time:1184',
  'pg_catalog.pg_stat_ssl 12249 v: pid:23 ssl:16 version:25 cipher:25 bits:23 client_dn:25 client_serial:1700 issuer_dn:25',
  'pg_catalog.pg_stat_user_indexes 12192 v: relid:26 indexrelid:26 schemaname:19 relname:19 indexrelname:19 idx_scan:20 idx_tup_read:20 idx_tup_fetch:20',
  'pg_catalog.pg_stat_user_tables 12161 v: relid:26 schemaname:19 relname:19 seq_scan:20 seq_tup_read:20 idx_scan:20 idx_tup_fetch:20 n_tup_ins:20 n_tup_upd:20 n_tup_del:20 n_tup_hot_upd:20 n_live_tup:20 n_dead_tup:20 n_mod_since_analyze:20 n_ins_since_vacuum:20 last_vacuum:1184 last_autovacuum:1184 last_analyze:1184 last_autoanalyze:1184 vacuum_count:20 autovacuum_count:20 analyze_count:20 autoanalyze_count:20',
  'pg_catalog.pg_stat_wal_receiver 12236 v: pid:23 status:25 receive_start_lsn:3220 receive_start_tli:23 written_lsn:3220 flushed_lsn:3220 received_tli:23 last_msg_send_time:1184 last_msg_receipt_time:1184 latest_end_lsn:3220 latest_end_time:1184 slot_name:25 sender_host:25 sender_port:23 conninfo:25',
  'pg_catalog.pg_statio_user_indexes 12205 v: relid:26 indexrelid:26 schemaname:19 relname:19 indexrelname:19 idx_blks_read:20 idx_blks_hit:20',
  'pg_catalog.pg_statio_user_tables 12179 v: relid:26 schemaname:19 relname:19 heap_blks_read:20 heap_blks_hit:20 idx_blks_read:20 idx_blks_hit:20 toast_blks_read:20 toast_blks_hit:20 tidx_blks_read:20 tidx_blks_hit:20',
  'pg_catalog.pg_statistic_ext 3381 r: oid:26 stxrelid:26 stxname:19 stxnamespace:26 stxowner:26 stxstattarget:23 stxkeys:22 stxkind:1002 stxexprs:194',
  'pg_catalog.pg_subscription 6100 r: oid:26 subdbid:26 subskiplsn:3220 subname:19 subowner:26 subenabled:16 subbinary:16 substream:16 subtwophasestate:18 subdisableonerr:16 subconninfo:25 subslotname:19 subsynccommit:25 subpublications:1009',
  'pg_catalog.pg_tables 12033 v: schemaname:19 tablename:19 tableowner:19 tablespace:19 hasindexes:16 hasrules:16 hastriggers:16 rowsecurity:16',
  'pg_catalog.pg_tablespace 1213 r: oid:26 spcname:19 spcowner:26 spcacl:1034 spcoptions:1009',
  'pg_catalog.pg_timezone_names 12126 v: name:25 abbrev:25 utc_offset:1186 is_dst:16',
  'pg_catalog.pg_transform 3576 r: oid:26 trftype:26 trflang:26 trffromsql:24 trftosql:24',
  'pg_catalog.pg_trigger 2620 r: oid:26 tgrelid:26 tgparentid:26 tgname:19 tgfoid:26 tgtype:21 tgenabled:18 tgisinternal:16 tgconstrrelid:26 tgconstrindid:26 tgconstraint:26 tgdeferrable:16 tginitdeferred:16 tgnargs:21 tgattr:22 tgargs:17 tgqual:194 tgoldtable:19 tgnewtable:19',
  'pg_catalog.pg_ts_config 3602 r: oid:26 cfgname:19 cfgnamespace:26 cfgowner:26 cfgparser:26',
  'pg_catalog.pg_type 1247 r: oid:26 typname:19 typnamespace:26 typowner:26 typlen:21 typbyval:16 typtype:18 typcategory:18 typispreferred:16 typisdefined:16 typdelim:18 typrelid:26 typsubscript:24 typelem:26 typarray:26 typinput:24 typoutput:24 typreceive:24 typsend:24 typmodin:24 typmodout:24 typanalyze:24 typalign:18 typstorage:18 typnotnull:16 typbasetype:26 typtypmod:23 typndims:23 typcollation:26 typdefaultbin:194 typdefault:25 typacl:1034',
  'pg_catalog.pg_user 12014 v: usename:19 usesysid:26 usecreatedb:16 usesuper:16 userepl:16 usebypassrls:16 passwd:25 valuntil:1184 useconfig:1009',
  'pg_catalog.pg_user_mappings 12327 v: umid:26 srvid:26 srvname:19 umuser:26 usename:19 umoptions:1009',
  'pg_catalog.pg_views 12028 v: schemaname:19 viewname:19 viewowner:19 definition:25',
];

function parseShape(line: string): PgRelationShape {
  const [head = '', body = ''] = line.split(': ');
  const [qualified = '', oid = '0', relkind = 'r'] = head.split(' ');
  const [schema = '', name = ''] = qualified.split('.');
  return {
    schema: schema === 'information_schema' ? 'information_schema' : 'pg_catalog',
    name,
    oid: Number(oid),
    relkind: relkind === 'v' ? 'v' : 'r',
    columns: body.split(' ').map((column): [string, number] => {
      const at = column.lastIndexOf(':');
      return [column.slice(0, at), Number(column.slice(at + 1))];
    }),
  };
}

export const pgRelationShapes: readonly PgRelationShape[] = table.map(parseShape);
