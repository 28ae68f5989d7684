/**
 * Differential corpus, part 4: expressions evaluated under non-default session settings
 * (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output). Each group's settings
 * are applied with SET LOCAL in PostgreSQL and to the EvalContext in Keel.
 * Exports: SettingsGroup, settingsCorpus.
 */
export interface SettingsGroup {
  settings: Record<string, string>;
  exprs: string[];
}

const timestamps = [
  "'2024-01-02 03:04:05.5+00'::timestamptz",
  "'2024-07-02 03:04:05+00'::timestamptz",
  "'2024-01-02 03:04:05'::timestamp",
  "'2024-01-02'::date",
  "'0044-03-15 BC'::date",
  "'0044-03-15 12:00 BC'::timestamp",
  "'infinity'::timestamptz",
];

export const settingsCorpus: SettingsGroup[] = [
  {
    settings: { TimeZone: 'America/New_York' },
    exprs: [
      ...timestamps,
      "'2024-03-10 02:30'::timestamptz",
      "'2024-11-03 01:30'::timestamptz",
      "'2024-03-10 12:00'::timestamptz",
      "'2024-03-09 12:00'::timestamptz + '1 day'::interval",
      "'2024-03-09 12:00'::timestamptz + '24 hours'::interval",
      "'2024-03-10 12:00'::timestamptz - '2024-03-09 12:00'::timestamptz",
      "date_trunc('day', '2024-03-10 12:00'::timestamptz)",
      "'2024-01-02 10:00'::timestamp::timestamptz",
      "'2024-01-02 10:00+00'::timestamptz::timestamp",
      "'2024-01-02 10:00+00'::timestamptz::date",
      "extract(hour from '2024-01-02 10:00+00'::timestamptz)",
      "extract(timezone_hour from '2024-07-02 10:00+00'::timestamptz)",
      "'1800-01-01 00:00'::timestamptz",
      "'today'::date = current_date",
      "to_char('2024-07-02 10:00+00'::timestamptz, 'HH24:MI TZ OF')",
      'make_timestamptz(2024, 7, 2, 10, 0, 0)',
      "'2024-07-02'::date::timestamptz",
      "age('2024-07-02 00:00'::timestamptz, '2024-01-01 00:00'::timestamptz)",
    ],
  },
  {
    settings: { TimeZone: 'Europe/Paris' },
    exprs: [...timestamps, "'2024-03-31 02:30'::timestamptz", "'2024-10-27 02:30'::timestamptz"],
  },
  { settings: { TimeZone: 'Asia/Kolkata' }, exprs: [...timestamps, "'2024-01-02 10:00'::timestamptz"] },
  { settings: { TimeZone: '+02' }, exprs: [...timestamps, "'2024-01-02 10:00'::timestamptz"] },
  { settings: { TimeZone: 'UTC+3' }, exprs: [...timestamps, "'2024-01-02 10:00'::timestamptz"] },
  { settings: { DateStyle: 'SQL, MDY' }, exprs: timestamps },
  { settings: { DateStyle: 'SQL, DMY' }, exprs: [...timestamps, "'01/02/2024'::date", "'13/02/2024'::date"] },
  { settings: { DateStyle: 'Postgres, MDY' }, exprs: timestamps },
  { settings: { DateStyle: 'Postgres, DMY' }, exprs: [...timestamps, "'01-02-2024'::date"] },
  { settings: { DateStyle: 'German' }, exprs: [...timestamps, "'02.01.2024'::date"] },
  { settings: { DateStyle: 'ISO, YMD' }, exprs: ["'02/01/03'::date", "'2024-01-02'::date"] },
  {
    settings: { DateStyle: 'ISO, DMY' },
    exprs: ["'01/02/2024'::date", "'1/2/03'::date", "'13/02/2024'::date", "'02/13/2024'::date"],
  },
  { settings: { DateStyle: 'SQL, MDY', TimeZone: 'America/Los_Angeles' }, exprs: timestamps },
  { settings: { DateStyle: 'Postgres, MDY', TimeZone: 'Europe/London' }, exprs: timestamps },
  { settings: { IntervalStyle: 'iso_8601' }, exprs: intervals() },
  { settings: { IntervalStyle: 'sql_standard' }, exprs: intervals() },
  { settings: { IntervalStyle: 'postgres_verbose' }, exprs: intervals() },
  { settings: { extra_float_digits: '0' }, exprs: floats() },
  { settings: { extra_float_digits: '-3' }, exprs: floats() },
  { settings: { extra_float_digits: '3' }, exprs: floats() },
  {
    settings: { bytea_output: 'escape' },
    exprs: ["'\\x00016162ff5c'::bytea", "'abc'::bytea", "'\\x'::bytea"],
  },
];

function intervals(): string[] {
  return [
    "'1 year 2 mons 3 days 04:05:06.5'::interval",
    "'-1 year -2 mons'::interval",
    "'1 day -02:00:00'::interval",
    "'0'::interval",
    "'-3 days'::interval",
    "'1 mon'::interval",
    "'04:05:06'::interval",
    "'-04:05:06'::interval",
    "'1 year -1 day'::interval",
    "'100 years'::interval",
    "'1.5 seconds'::interval",
  ];
}

function floats(): string[] {
  return [
    '0.1::float8',
    '1.0/3::float8',
    '(1.0/3)::float8',
    '0.1::float4',
    '1e100::float8',
    '123456789.123::float8',
    '(2^0.5)::float8',
    '1e-10::float4',
    '3.14159265358979::float8',
    '100::float8',
    '1e15::float8',
    '1e16::float8',
    "'1.5e-7'::float8",
    '(1.0/3)::float4',
    "'NaN'::float8",
  ];
}
