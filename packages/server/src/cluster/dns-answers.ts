/**
 * The DNS answers of the built-in responder (dns-responder.ts), as a pure function of a query
 * and the cluster as this node knows it from committed Raft state. The zone is the cluster name:
 *   primary.<cluster>    A/AAAA of the primary's advertised host, SRV with its PostgreSQL port
 *   replicas.<cluster>   the same for every other member (SRV with the read port if it has one)
 * A host that is a name rather than an address is answered with a CNAME to it. Names in the zone
 * that are not these are NXDOMAIN; names outside it are REFUSED (the responder is authoritative
 * for its zone only and does not recurse). When no primary is known (an election is running),
 * `primary.<cluster>` has no records (NOERROR, empty): without an SOA that empty answer is not
 * cached, so clients ask again.
 *
 * TTL: 1 second. The seed budgets 5-60 s for "DNS propagation"; the whole point of answering
 * from the cluster itself is that a client asking after a failover gets the new primary at
 * once, so answers must not outlive the next second in caches. The cost is one more query per
 * second per resolver, which is nothing.
 * Exports: answerQuery, DnsView, DNS_TTL_SECONDS.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { AUTHORITATIVE_ANSWER } from 'dns-packet';
import type { MemberRecord } from './cluster-state.js';

export const DNS_TTL_SECONDS = 1;

const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;

export interface DnsView {
  readonly cluster: string;
  primary(): MemberRecord | null;
  replicas(): MemberRecord[];
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function recordsFor(
  question: Question,
  members: MemberRecord[],
  port: (m: MemberRecord) => number,
): Answer[] {
  const name = question.name;
  const answers: Answer[] = [];
  const wants = (type: string) => question.type === type || String(question.type) === 'ANY';
  for (const member of members) {
    const host = member.host;
    if (isIPv4(host)) {
      if (wants('A')) answers.push({ type: 'A', name, ttl: DNS_TTL_SECONDS, class: 'IN', data: host });
    } else if (isIPv6(host)) {
      if (wants('AAAA')) answers.push({ type: 'AAAA', name, ttl: DNS_TTL_SECONDS, class: 'IN', data: host });
    } else if (wants('A') || wants('AAAA') || wants('CNAME')) {
      answers.push({ type: 'CNAME', name, ttl: DNS_TTL_SECONDS, class: 'IN', data: host });
    }
    if (wants('SRV'))
      answers.push({
        type: 'SRV',
        name,
        ttl: DNS_TTL_SECONDS,
        class: 'IN',
        data: { priority: 0, weight: 1, port: port(member), target: host },
      });
  }
  return answers;
}

/** The response to `query` (one question; others are answered NOTIMP as most servers do). */
export function answerQuery(query: DecodedPacket, view: DnsView): Packet {
  const questions = query.questions ?? [];
  const base = { type: 'response' as const, id: query.id ?? 0, questions };
  const question = questions[0];
  if (questions.length !== 1 || question === undefined) return { ...base, flags: RCODE_NOTIMP };
  const zone = normalize(view.cluster);
  const name = normalize(question.name);
  if (name !== zone && !name.endsWith(`.${zone}`)) return { ...base, flags: RCODE_REFUSED };
  const label = name === zone ? '' : name.slice(0, -(zone.length + 1));
  const flags = AUTHORITATIVE_ANSWER;
  if (label === 'primary') {
    const primary = view.primary();
    return {
      ...base,
      flags,
      answers: recordsFor(question, primary === null ? [] : [primary], (m) => m.pgPort),
    };
  }
  if (label === 'replicas')
    return { ...base, flags, answers: recordsFor(question, view.replicas(), (m) => m.readPort ?? m.pgPort) };
  if (label === '') return { ...base, flags, answers: [] };
  return { ...base, flags: flags | RCODE_NXDOMAIN };
}
