/**
 * RFC 4475, the SIP torture test messages (test/fixtures/rfc4475, byte-exact), against our SIP stack.
 *
 * Guarantees checked here:
 * - Codec (src/sip/message.ts `parseMessage`): every message the RFC calls valid (3.1.1, and the valid
 *   ones of 3.2-3.4) is accepted with the fields the RFC points at read as the RFC says; every message
 *   we refuse is refused with the status the server answers (`PARSE_FAILURE_REASON`) and, when its top
 *   Via can be read, the partial request the server needs to send that answer (otherwise it is
 *   dropped); the few invalid messages the RFC allows a receiver to be liberal with are accepted with
 *   the odd part left alone. No message, and no prefix of one, makes the codec throw; the TCP framer
 *   frames each message, waits, or closes the connection where the RFC says framing is lost.
 * - Server (src/sip/server.ts with the B2BUA and a trunk for 127.0.0.1): over UDP on 127.0.0.1, each
 *   request gets the answer in `ANSWERS` (a status RFC 3261 allows for it) and nothing else, or
 *   nothing at all where nothing can be answered; never a 500; OPTIONS is still answered after each.
 * - Registrar (3.3.12-3.3.14 and the other REGISTERs): once the REGISTER is authenticated, the
 *   bindings are the ones the RFC says, or the REGISTER is refused as it says.
 *
 * A row marked `defect` is a known defect: it runs as a todo test, so it reports without failing the
 * run. Every defect these tests found has been fixed (each in its own commit, which cleared its mark),
 * so no row carries one now. Where our answer differs from the RFC's suggestion on purpose,
 * docs/telephony.md ("What is refused and why", its RFC 4475 table) says so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import {
  parseMessage,
  getHeader,
  getHeaders,
  contentLengthOf,
  StreamFramer,
  PARSE_FAILURE_REASON,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type FrameResult,
} from '../../src/sip/message.js';
import { parseVia, parseCSeq } from '../../src/sip/headers.js';
import { parseUri, parseNameAddr, type NameAddr, type SipUri } from '../../src/sip/uri.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1, answerChallenge, chooseChallenge } from '../../src/sip/digest.js';
import { systemClock } from '../../src/switch/clock.js';
import { EventCollector } from '../helpers/wait.js';
import { Rig } from '../sip/b2bua-rig.js';
import { acceptsSdp } from '../../src/endpoints/sip/sdp.js';

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/rfc4475/${name}.sip`, import.meta.url));
}

// ---- codec -------------------------------------------------------------------------------------

function nameAddr(message: SipMessage, header: string, index = 0): NameAddr {
  const value = getHeaders(message, header)[index];
  assert.ok(value !== undefined, `no ${header} header`);
  const parsed = parseNameAddr(value);
  assert.ok(parsed, `${header} does not parse: ${value}`);
  return parsed;
}

function requestUri(message: SipMessage): SipUri {
  assert.equal(message.kind, 'request');
  const uri = parseUri((message as SipRequest).uri);
  assert.ok(uri, `the Request-URI does not parse: ${(message as SipRequest).uri}`);
  return uri;
}

/** each Via as [transport, host, branch] */
function vias(message: SipMessage): (string | undefined)[][] {
  return getHeaders(message, 'Via').map((value) => {
    const via = parseVia(value);
    assert.ok(via, `Via does not parse: ${value}`);
    return [via.transport, via.host, via.params.get('branch') ?? undefined];
  });
}

function sdpBody(message: SipMessage, length: number): void {
  assert.equal(message.body.length, length);
  assert.ok(message.body.toString('latin1').startsWith('v=0\r\n'));
}

type Outcome =
  /** parseMessage accepts it; `check` reads what the RFC points at */
  | { accepted: (message: SipMessage) => void }
  /** parseMessage refuses it with `status`; `answered`: the server can route its answer (partial request, readable Via) */
  | { refused: keyof typeof PARSE_FAILURE_REASON; answered: boolean; error: RegExp };

interface CodecRow {
  section: string;
  name: string;
  outcome: Outcome;
  /** wrong when this test was written; cleared by the commit that fixes it */
  defect?: string;
}

const CODEC: CodecRow[] = [
  // 3.1.1 valid messages
  {
    section: '3.1.1.1',
    name: 'wsinv',
    outcome: {
      accepted: (message) => {
        assert.equal((message as SipRequest).method, 'INVITE');
        assert.equal((message as SipRequest).uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
        assert.equal(requestUri(message).params.get('unknownparam'), null);
        const to = nameAddr(message, 'To');
        assert.equal(to.uri.user, 'vivekg');
        assert.equal(to.params.get('tag'), '1918181833n');
        const from = nameAddr(message, 'From');
        assert.equal(from.displayName, 'J Rosenberg \\"');
        assert.equal(from.params.get('tag'), '98asjd8');
        assert.equal(getHeader(message, 'Max-Forwards'), '0068');
        assert.equal(getHeader(message, 'Call-ID'), 'wsinv.ndaksdj@192.0.2.1');
        assert.deepEqual(parseCSeq(getHeader(message, 'CSeq')!), { sequence: 9, method: 'INVITE' });
        assert.deepEqual(vias(message), [
          ['UDP', '192.0.2.2', '390skdjuw'],
          ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
          ['UDP', '192.168.255.111', 'z9hG4bK30239'],
        ]);
        assert.equal(getHeader(message, 'Subject'), '');
        assert.equal(getHeader(message, 'NewFangledHeader'), 'newfangled value continued newfangled value');
        assert.equal(getHeader(message, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;');
        assert.deepEqual(getHeaders(message, 'Route'), ['<sip:services.example.com;lr;unknownwith=value;unknown-no-value>']);
        const contact = nameAddr(message, 'Contact');
        assert.equal(contact.displayName, 'Quoted string ""');
        assert.deepEqual([...contact.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
        sdpBody(message, 150);
      },
    },
  },
  {
    section: '3.1.1.2',
    name: 'intmeth',
    outcome: {
      accepted: (message) => {
        const method = "!interesting-Method0123456789_*+`.%indeed'~";
        assert.equal((message as SipRequest).method, method);
        const uri = requestUri(message);
        assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
        assert.equal(uri.host, 'example.com');
        assert.equal(uri.headers, undefined);
        assert.deepEqual(vias(message), [['TCP', 'host1.example.com', "z9hG4bK-.!%66*_+`'~"]]);
        const to = nameAddr(message, 'To');
        assert.equal(to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7F');
        assert.equal(to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        const from = nameAddr(message, 'From');
        assert.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
        assert.equal(from.params.get("fromparam''~+*_!.-%"), '"работающий"');
        assert.equal(from.params.get('tag'), "_token~1'+`*%!-.");
        assert.equal(getHeader(message, 'Call-ID'), `intmeth.word%ZK-!.*_+'@word\`~)(><:\\/"][?}{`);
        assert.deepEqual(parseCSeq(getHeader(message, 'CSeq')!), { sequence: 139122385, method });
        assert.equal(getHeader(message, 'Max-Forwards'), '255');
        assert.equal(getHeader(message, "extensionHeader-!.%*+_`'~"), '\uFEFF大停電');
        assert.equal(message.body.length, 0);
      },
    },
  },
  {
    section: '3.1.1.3',
    name: 'esc01',
    outcome: {
      accepted: (message) => {
        const uri = requestUri(message);
        // escapes are kept as written: the application compares them (RFC 3261 19.1.4)
        assert.equal(uri.user, 'sips%3Auser%40example.com');
        assert.equal(uri.host, 'example.net');
        assert.equal(nameAddr(message, 'To').uri.user, '%75se%72');
        assert.equal(nameAddr(message, 'From').uri.user, 'I%20have%20spaces');
        assert.equal(getHeader(message, 'Call-ID'), 'esc01.239409asdfakjkn23onasd0-3234');
        assert.equal(getHeader(message, 'Content-Type'), 'application/sdp');
        const contact = nameAddr(message, 'Contact');
        assert.equal(contact.uri.user, 'cal%6Cer');
        // "value%41" stays "value%41": %25 is not unescaped twice
        assert.deepEqual([...contact.uri.params], [['%6c%72', null], ['n%61me', 'v%61lue%25%34%31']]);
        sdpBody(message, 150);
      },
    },
  },
  {
    section: '3.1.1.4',
    name: 'escnull',
    outcome: {
      accepted: (message) => {
        assert.equal((message as SipRequest).method, 'REGISTER');
        assert.equal(nameAddr(message, 'To').uri.user, 'null-%00-null');
        assert.deepEqual(getHeaders(message, 'Contact').map((value) => parseNameAddr(value)?.uri.user), ['%00', '%00%00']);
        assert.equal(contentLengthOf(message), 0);
      },
    },
  },
  {
    section: '3.1.1.5',
    name: 'esc02',
    outcome: {
      accepted: (message) => {
        // % is not an escape in a method: this is not a REGISTER
        assert.equal((message as SipRequest).method, 'RE%47IST%45R');
        assert.equal(parseCSeq(getHeader(message, 'CSeq')!)?.method, 'RE%47IST%45R');
        assert.equal(nameAddr(message, 'To').displayName, '%Z%45');
        assert.equal(vias(message)[0]![2], 'z9hG4bK209%fzsnel234');
        // C%6Fntact is an extension header, not a third Contact
        assert.deepEqual(getHeaders(message, 'Contact'), ['<sip:alias1@host1.example.com>', '<sip:alias3@host3.example.com>']);
        assert.equal(getHeader(message, 'C%6Fntact'), '<sip:alias2@host2.example.com>');
      },
    },
  },
  {
    section: '3.1.1.6',
    name: 'lwsdisp',
    outcome: {
      accepted: (message) => {
        const from = nameAddr(message, 'From');
        assert.equal(from.displayName, 'caller');
        assert.equal(from.uri.user, 'caller');
        assert.equal(from.params.get('tag'), '323');
      },
    },
  },
  {
    section: '3.1.1.7',
    name: 'longreq',
    outcome: {
      accepted: (message) => {
        const to = nameAddr(message, 'To');
        assert.equal(to.displayName, `I have a user name of ${'extreme'.repeat(10)} proportion`);
        assert.equal(to.uri.port, 6000);
        assert.equal(to.uri.params.get('unknownparam1'), `very${'long'.repeat(20)}value`);
        assert.equal(to.uri.params.get(`longparam${'name'.repeat(25)}`), 'shortvalue');
        assert.equal(to.uri.params.get(`very${'long'.repeat(25)}parameternamewithnovalue`), null);
        const from = nameAddr(message, 'From');
        assert.equal(from.uri.user, 'amazinglylongcallername'.repeat(5));
        assert.equal(from.params.get('tag'), `12${'982'.repeat(50)}424`);
        assert.equal(from.params.get(`unknownheaderparam${'name'.repeat(20)}`), `unknowheaderparam${'value'.repeat(15)}`);
        assert.equal(from.params.get(`unknownvalueless${'paramname'.repeat(10)}`), null);
        assert.equal(getHeader(message, 'Call-ID'), `longreq.one${'really'.repeat(20)}longcallid`);
        const long = 'long'.repeat(20);
        assert.equal(
          getHeader(message, `Unknown-${'Long'.repeat(20)}-Name`),
          `unknown-${long}-value; unknown-${long}-parameter-name = unknown-${long}-parameter-value`,
        );
        const all = vias(message);
        assert.equal(all.length, 34);
        assert.deepEqual(all[0], ['TCP', 'sip33.example.com', undefined]);
        assert.deepEqual(all[33], ['TCP', 'host.example.com', `very${'long'.repeat(50)}branchvalue`]);
        assert.equal(nameAddr(message, 'Contact').uri.user, 'amazinglylongcallername'.repeat(5));
        sdpBody(message, 150);
      },
    },
  },
  {
    section: '3.1.1.8',
    name: 'dblreq',
    outcome: {
      accepted: (message) => {
        // the INVITE after the REGISTER in the same datagram is noise (RFC 3261 18.3)
        assert.equal((message as SipRequest).method, 'REGISTER');
        assert.equal(getHeader(message, 'Call-ID'), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
        assert.equal(getHeaders(message, 'To').length, 1);
        assert.equal(message.body.length, 0);
      },
    },
  },
  {
    section: '3.1.1.9',
    name: 'semiuri',
    outcome: {
      accepted: (message) => {
        const uri = requestUri(message);
        assert.equal(uri.user, 'user;par=u%40example.net');
        assert.equal(uri.host, 'example.com');
        assert.deepEqual(getHeaders(message, 'Accept'), [
          'application/sdp',
          'application/pkcs7-mime',
          'multipart/mixed',
          'multipart/signed',
          'message/sip',
          'message/sipfrag',
        ]);
      },
    },
  },
  {
    section: '3.1.1.10',
    name: 'transports',
    outcome: {
      accepted: (message) => {
        assert.deepEqual(vias(message).map((via) => via[0]), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
        assert.equal(getHeader(message, 'Call-ID'), 'transports.kijh4akdnaqjkwendsasfdj');
      },
    },
  },
  {
    section: '3.1.1.11',
    name: 'mpart01',
    outcome: {
      accepted: (message) => {
        assert.equal((message as SipRequest).method, 'MESSAGE');
        assert.equal(getHeader(message, 'Content-Type'), 'multipart/mixed;boundary=7a9cbec02ceef655');
        // the binary part (with its NUL octets) is framed by Content-Length, untouched
        assert.equal(message.body.length, 553);
        assert.ok(message.body.includes(0));
        assert.ok(message.body.toString('latin1').endsWith('\r\n--7a9cbec02ceef655--\r\n'));
        const via = parseVia(getHeader(message, 'Via')!)!;
        assert.equal(via.port, 5070);
        assert.equal(via.params.get('rport'), null);
      },
    },
  },
  {
    section: '3.1.1.12',
    name: 'unreason',
    outcome: {
      accepted: (message) => {
        assert.equal((message as SipResponse).status, 200);
        assert.equal((message as SipResponse).reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
        sdpBody(message, 154);
      },
    },
  },
  {
    section: '3.1.1.13',
    name: 'noreason',
    outcome: {
      accepted: (message) => {
        assert.equal((message as SipResponse).status, 100);
        assert.equal((message as SipResponse).reason, '');
      },
    },
  },
  // 3.1.2 invalid messages
  { section: '3.1.2.1', name: 'badinv01', outcome: { refused: 400, answered: false, error: /malformed Via/ } },
  { section: '3.1.2.2', name: 'clerr', outcome: { refused: 400, answered: true, error: /Content-Length larger than the message/ } },
  { section: '3.1.2.3', name: 'ncl', outcome: { refused: 400, answered: true, error: /malformed Content-Length/ } },
  { section: '3.1.2.4', name: 'scalar02', outcome: { refused: 400, answered: true, error: /malformed CSeq/ } },
  // a response: nothing to answer
  { section: '3.1.2.5', name: 'scalarlg', outcome: { refused: 400, answered: false, error: /malformed CSeq/ } },
  { section: '3.1.2.6', name: 'quotbal', outcome: { refused: 400, answered: true, error: /malformed To/ } },
  { section: '3.1.2.7', name: 'ltgtruri', outcome: { refused: 400, answered: true, error: /malformed request line/ } },
  { section: '3.1.2.8', name: 'lwsruri', outcome: { refused: 400, answered: true, error: /malformed request line/ } },
  { section: '3.1.2.9', name: 'lwsstart', outcome: { refused: 400, answered: true, error: /malformed request line/ } },
  { section: '3.1.2.10', name: 'trws', outcome: { refused: 400, answered: true, error: /malformed request line/ } },
  {
    section: '3.1.2.11',
    name: 'escruri',
    outcome: {
      // the RFC allows ignoring the escaped headers: they stay in the URI and never become headers
      accepted: (message) => {
        assert.equal(requestUri(message).headers, 'Route=%3Csip:example.com%3E');
        assert.deepEqual(getHeaders(message, 'Route'), []);
      },
    },
  },
  {
    section: '3.1.2.12',
    name: 'baddate',
    outcome: {
      // the RFC allows ignoring a Date we do not use
      accepted: (message) => assert.equal(getHeader(message, 'Date'), 'Fri, 01 Jan 2010 16:00:00 EST'),
    },
  },
  {
    section: '3.1.2.13',
    name: 'regbadct',
    outcome: {
      // the codec does not read Contact; the registrar refuses it (REGISTRAR below)
      accepted: (message) => assert.equal(parseNameAddr(getHeader(message, 'Contact')!), undefined),
    },
  },
  { section: '3.1.2.14', name: 'badaspec', outcome: { refused: 400, answered: true, error: /malformed To/ } },
  { section: '3.1.2.15', name: 'baddn', outcome: { refused: 400, answered: true, error: /malformed From/ } },
  { section: '3.1.2.16', name: 'badvers', outcome: { refused: 505, answered: true, error: /SIP\/7\.0 is not supported/ } },
  { section: '3.1.2.17', name: 'mismatch01', outcome: { refused: 400, answered: true, error: /CSeq method differs/ } },
  { section: '3.1.2.18', name: 'mismatch02', outcome: { refused: 400, answered: true, error: /CSeq method differs/ } },
  { section: '3.1.2.19', name: 'bigcode', outcome: { refused: 400, answered: false, error: /malformed start line/ } },
  // 3.2 transaction layer
  { section: '3.2.1', name: 'badbranch', outcome: { accepted: (message) => assert.equal(vias(message)[0]![2], 'z9hG4bK') } },
  // 3.3 application layer
  { section: '3.3.1', name: 'insuf', outcome: { refused: 400, answered: true, error: /malformed From/ } },
  { section: '3.3.2', name: 'unkscm', outcome: { accepted: (message) => assert.equal((message as SipRequest).uri, 'nobodyKnowsThisScheme:totallyopaquecontent') } },
  { section: '3.3.3', name: 'novelsc', outcome: { accepted: (message) => assert.equal((message as SipRequest).uri, 'soap.beep://192.0.2.103:3002') } },
  // From and To of another scheme than sip:, sips:, tel: are refused (a registrar's answer to this one anyway)
  { section: '3.3.4', name: 'unksm2', outcome: { refused: 400, answered: true, error: /malformed From/ } },
  {
    section: '3.3.5',
    name: 'bext01',
    outcome: {
      accepted: (message) => {
        assert.deepEqual(getHeaders(message, 'Require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
        assert.deepEqual(getHeaders(message, 'Proxy-Require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
      },
    },
  },
  {
    section: '3.3.6',
    name: 'invut',
    outcome: {
      accepted: (message) => {
        assert.equal(getHeader(message, 'Content-Type'), 'application/unknownformat');
        assert.equal(message.body.toString(), '<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
      },
    },
  },
  { section: '3.3.7', name: 'regaut01', outcome: { accepted: (message) => assert.equal(getHeader(message, 'Authorization'), 'NoOneKnowsThisScheme opaque-data=here') } },
  { section: '3.3.8', name: 'multi01', outcome: { refused: 400, answered: true, error: /repeated (From|To|Call-ID|CSeq|Max-Forwards) header/ } },
  { section: '3.3.9', name: 'mcl01', outcome: { refused: 400, answered: true, error: /malformed Content-Length/ } },
  {
    section: '3.3.10',
    name: 'bcast',
    outcome: { accepted: (message) => assert.deepEqual(vias(message).map((via) => via[1]), ['192.0.2.198', '255.255.255.255']) },
  },
  { section: '3.3.11', name: 'zeromf', outcome: { accepted: (message) => assert.equal(getHeader(message, 'Max-Forwards'), '0') } },
  {
    section: '3.3.12',
    name: 'cparam01',
    outcome: {
      // without <>, ;unknownparam is a header parameter of the Contact, not a URI parameter
      accepted: (message) => {
        const contact = nameAddr(message, 'Contact');
        assert.equal(contact.uri.params.size, 0);
        assert.equal(contact.params.get('unknownparam'), null);
      },
    },
  },
  {
    section: '3.3.13',
    name: 'cparam02',
    outcome: {
      accepted: (message) => {
        const contact = nameAddr(message, 'Contact');
        assert.equal(contact.uri.params.get('unknownparam'), null);
        assert.equal(contact.params.size, 0);
      },
    },
  },
  { section: '3.3.14', name: 'regescrt', outcome: { accepted: (message) => assert.equal(nameAddr(message, 'Contact').uri.headers, 'Route=%3Csip:sip.example.com%3E') } },
  { section: '3.3.15', name: 'sdp01', outcome: { accepted: (message) => assert.deepEqual(getHeaders(message, 'Accept'), ['text/nobodyKnowsThis']) } },
  // 3.4 backward compatibility
  {
    section: '3.4.1',
    name: 'inv2543',
    outcome: {
      accepted: (message) => {
        assert.deepEqual(vias(message), [['UDP', 'iftgw.example.com', undefined]]);
        assert.equal(nameAddr(message, 'From').params.get('tag'), undefined);
        assert.equal(getHeader(message, 'Max-Forwards'), undefined);
        // no Content-Length on a datagram: the body is the rest of it
        assert.ok(message.body.toString().endsWith('m=audio 49217 RTP/AVP 0\r\n'));
        assert.equal(message.body.length, 105);
      },
    },
  },
];

test('the table covers every message of the RFC once', () => {
  assert.equal(CODEC.length, 49);
  assert.equal(new Set(CODEC.map((row) => row.name)).size, 49);
});

for (const row of CODEC) {
  const verdict = 'accepted' in row.outcome ? 'accepted' : `refused ${row.outcome.refused}${row.outcome.answered ? ' (answered)' : ' (dropped)'}`;
  test(`codec ${row.section} ${row.name}: ${verdict}`, row.defect ? { todo: row.defect } : {}, () => {
    const result = parseMessage(fixture(row.name));
    const outcome = row.outcome;
    if ('accepted' in outcome) {
      assert.ok(result.ok, result.ok ? '' : `refused: ${result.error}`);
      outcome.accepted(result.message);
      return;
    }
    assert.equal(result.ok, false, 'accepted');
    if (result.ok) return;
    assert.equal(result.status, outcome.refused);
    assert.match(result.error, outcome.error);
    // what server.ts needs to answer: a partial request (not an ACK) whose top Via reads
    const routable = result.partial?.kind === 'request' && result.partial.method !== 'ACK' && parseVia(getHeader(result.partial, 'Via') ?? '') !== undefined;
    assert.equal(routable, outcome.answered, routable ? 'answerable' : 'not answerable');
  });
}

test('codec: no message, and no prefix of one, makes parseMessage throw (datagram and stream modes)', () => {
  for (const row of CODEC) {
    const bytes = fixture(row.name);
    for (let length = 0; length <= bytes.length; length++) {
      const part = bytes.subarray(0, length);
      for (const stream of [false, true]) {
        let result;
        try {
          result = parseMessage(part, { stream });
        } catch (error) {
          assert.fail(`${row.name}, first ${length} bytes, stream ${stream}: threw ${String(error)}`);
        }
        assert.equal(typeof result.ok, 'boolean');
      }
    }
  }
});

/** What the TCP framer makes of each message sent alone on a stream, first result (default: one message). */
const FRAMING: Record<string, { kind: FrameResult['kind']; defect?: string }> = {
  // Content-Length 9999: wait for the rest (and the transport's message timeout closes the connection)
  clerr: { kind: 'incomplete' },
  // no blank line ends its headers: nothing to frame yet
  baddn: { kind: 'incomplete' },
  // the RFC: over TCP these framing errors cannot be recovered; the connection is closed
  ncl: { kind: 'fatal' },
  mcl01: { kind: 'fatal' },
};

for (const row of CODEC) {
  const expected = FRAMING[row.name] ?? { kind: 'message' };
  test(`stream framing ${row.section} ${row.name}: ${expected.kind}`, expected.defect ? { todo: expected.defect } : {}, () => {
    const results = new StreamFramer().push(fixture(row.name));
    assert.equal(results[0]?.kind, expected.kind, JSON.stringify(results.map((result) => result.kind)));
  });
}

// ---- server over UDP -------------------------------------------------------------------------------

/**
 * What the server answers to each request (`none`: nothing, the message cannot be answered), and
 * what the answer must carry. Responses (unreason, noreason, scalarlg, bigcode, bcast) match no
 * transaction of ours and are dropped: `none`.
 */
const ANSWERS: Record<string, { status: number | 'none'; carries?: (response: SipResponse) => void; defect?: string }> = {
  // its To has a tag: a request inside a dialog we do not have (RFC 3261 12.2.2)
  wsinv: { status: 481 },
  intmeth: { status: 405, carries: allowsOurMethods },
  esc01: { status: 404 },
  escnull: { status: 401, carries: challenges },
  esc02: { status: 405, carries: allowsOurMethods },
  lwsdisp: { status: 200 },
  longreq: { status: 404, carries: (response) => assert.equal(getHeaders(response, 'Via').length, 34) },
  dblreq: { status: 401, carries: challenges },
  semiuri: { status: 200 },
  transports: { status: 200, carries: (response) => assert.equal(getHeaders(response, 'Via').length, 5) },
  mpart01: { status: 405, carries: allowsOurMethods },
  unreason: { status: 'none' },
  noreason: { status: 'none' },
  badinv01: { status: 'none' },
  clerr: { status: 400 },
  ncl: { status: 400 },
  scalar02: { status: 400 },
  scalarlg: { status: 'none' },
  quotbal: { status: 400 },
  ltgtruri: { status: 400 },
  lwsruri: { status: 400 },
  lwsstart: { status: 400 },
  trws: { status: 400 },
  escruri: { status: 404 },
  baddate: { status: 404 },
  regbadct: { status: 401, carries: challenges },
  badaspec: { status: 400 },
  baddn: { status: 400 },
  badvers: { status: 505 },
  mismatch01: { status: 400 },
  mismatch02: { status: 400 },
  bigcode: { status: 'none' },
  badbranch: { status: 200 },
  insuf: { status: 400 },
  unkscm: { status: 416 },
  novelsc: { status: 416 },
  unksm2: { status: 400 },
  bext01: { status: 420, carries: (response) => assert.deepEqual(getHeaders(response, 'Unsupported'), ['nothingSupportsThis', 'nothingSupportsThisEither']) },
  invut: { status: 404 },
  regaut01: { status: 401, carries: challenges },
  multi01: { status: 400 },
  mcl01: { status: 400 },
  bcast: { status: 'none' },
  zeromf: { status: 200 },
  cparam01: { status: 401, carries: challenges },
  cparam02: { status: 401, carries: challenges },
  regescrt: { status: 401, carries: challenges },
  sdp01: { status: 404 },
  inv2543: { status: 404 },
};

function allowsOurMethods(response: SipResponse): void {
  assert.ok(getHeaders(response, 'Allow').includes('INVITE'));
}

function challenges(response: SipResponse): void {
  assert.match(getHeader(response, 'WWW-Authenticate') ?? '', /^Digest /);
}

/**
 * The message with its top Via's sent-by (host and port) replaced, the only octets changed, so the
 * answer comes back to the test's socket: RFC 3261 18.2.2 sends it to the sent-by port (5060 when
 * none is written, a port no test may use). Folded and spaced Vias (wsinv) are followed.
 */
function withTopViaSentBy(bytes: Buffer, sentBy: string): Buffer {
  const text = bytes.toString('latin1');
  const topVia = /^((?:via|v)[ \t]*:[ \t]*(?:\r\n[ \t]+)?SIP[ \t\r\n]*\/[ \t\r\n]*[0-9.]+[ \t\r\n]*\/[ \t\r\n]*[A-Za-z]+[ \t\r\n]+)([^;\s,]+)/im;
  assert.match(text, topVia, 'no top Via to point at the test socket');
  return Buffer.from(text.replace(topVia, `$1${sentBy}`), 'latin1');
}

/** A UDP socket on a free port, collecting the responses it receives. */
async function openPeer(): Promise<{ socket: dgram.Socket; port: number; responses: EventCollector<SipResponse> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const responses = new EventCollector<SipResponse>('responses');
  socket.on('message', (data) => {
    // a 400 copies the request's malformed To or CSeq: read what its start line and headers say
    const result = parseMessage(data);
    const message = result.ok ? result.message : result.partial;
    if (message?.kind === 'response') responses.push(message);
  });
  return { socket, port: socket.address().port, responses };
}

function options(port: number, callId: string): Buffer {
  return Buffer.from(
    `OPTIONS sip:anyone@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId}\r\nMax-Forwards: 70\r\n` +
      `From: <sip:torture@127.0.0.1>;tag=fence\r\nTo: <sip:anyone@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

const isRequest = (name: string) => !/^SIP\/2\.0 /.test(fixture(name).toString('latin1', 0, 8));

let rig: Rig;
before(async () => {
  rig = await Rig.start({ sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
});
after(async () => {
  await rig.close();
});

for (const row of CODEC) {
  const answer = ANSWERS[row.name]!;
  test(`server over UDP ${row.section} ${row.name}: ${answer.status === 'none' ? 'no answer' : answer.status}`, answer.defect ? { todo: answer.defect } : {}, async () => {
    const peer = await openPeer();
    try {
      const bytes = isRequest(row.name) ? withTopViaSentBy(fixture(row.name), `127.0.0.1:${peer.port}`) : fixture(row.name);
      peer.socket.send(bytes, rig.server.port, '127.0.0.1');
      if (answer.status !== 'none') {
        const final = await peer.responses.next((response) => response.status >= 200, 3000, `the final answer to ${row.name}`);
        assert.equal(final.status, answer.status, `${final.status} ${final.reason}`);
        answer.carries?.(final);
      }
      // the server reads datagrams in order and answers (or drops) a malformed one while reading it:
      // once the OPTIONS sent next is answered, anything else the first had caused has been sent
      const fence = `fence-${row.name}`;
      peer.socket.send(options(peer.port, fence), rig.server.port, '127.0.0.1');
      const alive = await peer.responses.next((response) => getHeader(response, 'Call-ID') === fence, 3000, 'the 200 to the OPTIONS after it');
      assert.equal(alive.status, 200);
      const others = peer.responses.items.filter((response) => getHeader(response, 'Call-ID') !== fence && response.status >= 200);
      const expected = answer.status === 'none' ? [] : others.map(() => answer.status);
      // an INVITE's final answer is retransmitted until the ACK (which this test does not send)
      assert.deepEqual(others.map((response) => response.status), expected, 'no other final answer');
    } finally {
      peer.socket.close();
    }
  });
}

test('server over UDP 3.3.15 sdp01 to a DN that exists: 406 with Accept and a 399 Warning, and no call', async () => {
  const peer = await openPeer();
  try {
    // the fixture's Request-URI names a user nobody has (404 above): the same INVITE to agent 5001
    const text = withTopViaSentBy(fixture('sdp01'), `127.0.0.1:${peer.port}`).toString('latin1').replace('INVITE sip:user@example.com', 'INVITE sip:5001@127.0.0.1');
    peer.socket.send(Buffer.from(text, 'latin1'), rig.server.port, '127.0.0.1');
    const final = await peer.responses.next((response) => response.status >= 200, 3000, 'the final answer to sdp01 at 5001');
    assert.equal(final.status, 406, `${final.status} ${final.reason}`);
    assert.deepEqual(getHeaders(final, 'Accept'), ['application/sdp']);
    assert.match(getHeader(final, 'Warning') ?? '', /^399 \S+ "/);
    assert.equal(peer.responses.items.some((response) => response.status === 180 || response.status === 183), false, 'nothing rang');
    assert.equal(rig.h.sw.callsOf('5001').length, 0, 'no call reached the call model');
  } finally {
    peer.socket.close();
  }
});

test('acceptsSdp: which Accept values let an INVITE be answered with SDP', () => {
  const table: [string[], boolean][] = [
    [[], true],
    [['application/sdp'], true],
    [['Application/SDP'], true],
    [['text/nobodyKnowsThis'], false],
    [[''], false],
    [['application/sdp;q=0'], false],
    [['application/sdp; q=0.0'], false],
    [['application/sdp;q=0.1'], true],
    [['text/html, application/*;q=0.5'], true],
    [['*/*'], true],
    [['text/plain', 'application/sdp'], true],
    [['application/pidf+xml, message/sipfrag'], false],
    [['application / sdp'], true],
    [['application/sdp;q = 0'], false],
    [['application/sdp ; q=0'], false],
    [['*/*, application/sdp;q=0'], false],
    [['application/sdp;q=0, application/*'], false],
    [['application/*;q=0, application/sdp;q=0.5'], true],
    [['application/*;q=0', '*/*'], false],
  ];
  for (const [values, expected] of table) assert.equal(acceptsSdp(values), expected, JSON.stringify(values));
});

test('server over UDP: no torture message made a handler throw (no 500)', () => {
  assert.equal(rig.server.stats.handlerErrors, 0);
});

// ---- registrar -------------------------------------------------------------------------------------

const TORTURE_PASSWORD = 'torture';
const TORTURE_REALM = 'torture';

/** The REGISTERs, authenticated as the DN their To names: the answer and the bindings the RFC expects. */
const REGISTRAR: { section: string; name: string; dn: string; status: number; bindings?: string[] }[] = [
  // two distinct contacts: %00 and %00%00 are not shortened into one
  { section: '3.1.1.4', name: 'escnull', dn: 'null-%00-null', status: 200, bindings: ['sip:%00@host5.example.com', 'sip:%00%00@host5.example.com'] },
  { section: '3.1.1.8', name: 'dblreq', dn: 'j.user', status: 200, bindings: ['sip:j.user@host.example.com'] },
  // a Contact with URI headers must be written in <>
  { section: '3.1.2.13', name: 'regbadct', dn: 'user', status: 400 },
  { section: '3.3.7', name: 'regaut01', dn: 'j.user', status: 200 },
  // ;unknownparam outside <> is the Contact's parameter: the binding has no such URI parameter
  { section: '3.3.12', name: 'cparam01', dn: 'watson', status: 200, bindings: ['sip:+19725552222@gw1.example.net'] },
  { section: '3.3.13', name: 'cparam02', dn: 'watson', status: 200, bindings: ['sip:+19725552222@gw1.example.net;unknownparam'] },
  { section: '3.3.14', name: 'regescrt', dn: 'user', status: 200, bindings: ['sip:user@example.com?Route=%3Csip:sip.example.com%3E'] },
];

/** The second REGISTER of the digest round trip: new branch, next CSeq, the Authorization added before the blank line. */
function authorized(bytes: Buffer, authorization: string): Buffer {
  const text = bytes
    .toString('latin1')
    .replace(/branch=([^;\s,]+)/i, 'branch=$1.authorized')
    .replace(/^(CSeq:[ \t]*)([0-9]+)/im, (_, name: string, sequence: string) => `${name}${Number(sequence) + 1}`);
  const headersEnd = text.indexOf('\r\n\r\n');
  return Buffer.from(`${text.slice(0, headersEnd)}\r\nAuthorization: ${authorization}${text.slice(headersEnd)}`, 'latin1');
}

test('registrar: the REGISTERs, once authenticated, bind what RFC 4475 says (3.1.1.4, 3.1.1.8, 3.1.2.13, 3.3.7, 3.3.12-3.3.14)', async () => {
  const dns = new Set(REGISTRAR.map((row) => row.dn));
  const registrar = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: TORTURE_REALM,
    lookup: {
      lookupExtension: (dn) =>
        dns.has(dn)
          ? { realm: TORTURE_REALM, ha1: { MD5: ha1('MD5', dn, TORTURE_REALM, TORTURE_PASSWORD), 'SHA-256': ha1('SHA-256', dn, TORTURE_REALM, TORTURE_PASSWORD) } }
          : undefined,
    },
  });
  try {
    for (const row of REGISTRAR) {
      const peer = await openPeer();
      try {
        const first = withTopViaSentBy(fixture(row.name), `127.0.0.1:${peer.port}`);
        peer.socket.send(first, registrar.port, '127.0.0.1');
        const challenge = await peer.responses.next((response) => response.status >= 200, 3000, `the 401 to ${row.name}`);
        assert.equal(challenge.status, 401, row.name);
        const chosen = chooseChallenge(getHeaders(challenge, 'WWW-Authenticate'))!;
        const request = parseMessage(first);
        assert.ok(request.ok && request.message.kind === 'request');
        const authorization = answerChallenge(chosen, { username: row.dn, password: TORTURE_PASSWORD, method: 'REGISTER', uri: request.message.uri });
        peer.socket.send(authorized(first, authorization), registrar.port, '127.0.0.1');
        const answer = await peer.responses.next((response) => response.status >= 200, 3000, `the answer to the authenticated ${row.name}`);
        assert.equal(answer.status, row.status, `${row.section} ${row.name}: ${answer.status} ${answer.reason}`);
        if (row.bindings) {
          const bound = registrar.registrar.bindings(row.dn).map((binding) => binding.uri);
          for (const uri of row.bindings) assert.ok(bound.includes(uri), `${row.name}: ${uri} not in ${JSON.stringify(bound)}`);
          const listed = getHeaders(answer, 'Contact').map((value) => parseNameAddr(value)?.uri);
          assert.equal(listed.length, bound.length, `${row.name}: the 200 lists every binding`);
        }
      } finally {
        peer.socket.close();
      }
    }
  } finally {
    await registrar.close();
  }
});
