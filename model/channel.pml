/*
 * smartdecl's customs channel as a Promela model, checked with spin. docs/model.md explains it;
 * tests/model/test_model.py runs it.
 *
 * One declaration (one ClientSeqNo) from the batch that claims it to customs' last receipt, through
 * either channel (docs/customs-channel.md):
 *   exchange (the default): the submission puts an outbox send; the enterprise's agent takes it under
 *     a lease, writes ahead in its journal, stages the zip and renames it into the client's OutBox,
 *     acknowledges it; the Single Window client sends it (SentBox) or cannot (FailBox, three tries),
 *     answers in InBox (DecImportResponse, a card failure); customs' DEC_RESULT receipts follow; the
 *     agent forwards every InBox file and archives it after the service's 2xx;
 *   HTTP (-DHTTP): the submission asks customs whether the ClientSeqNo arrived (lookup), else
 *     declares; customs POSTs its receipts until one is answered 2xx.
 * Every party may die at every step: the agent (it starts again from its journal), a submit
 * invocation (its SQS message comes back), an API invocation (the caller gets no 2xx and repeats).
 * SQS delivers a message twice; leases run out; receipts come twice and in any order.
 *
 * Names: the declaration's states are the domain's: domain/smart_status.SmartStatus as smart_<value>,
 * domain/declaration_status.DeclarationStatus as status_<value>, domain/exchange.SendState as
 * send_<value>, domain/exchange.Answer as answer_<value>, smartdecl_agent/journal.STATES as
 * journal_<value>; tests/model/test_model.py fails when one is missing here. Each step's comment
 * names the code it stands for (module.function), and its printf says it in a counterexample.
 *
 * Checked (tests/model/spin.py runs it in bounded configurations, tests/model/configs.py):
 *   assertions    never two sends of one ClientSeqNo (per send_no) reach customs, nor one after
 *                 customs accepted it; a new send only after the previous was answered and a person
 *                 continued; no answer or receipt moves the declaration twice; once every receipt is
 *                 applied, the status is the join of what customs said (whatever their order);
 *   Final         where every run ends (timeout): every send put answered, the declaration out of
 *                 申报中, every receipt customs issued applied (none lost);
 *   progress      no cycle at all (pan -l): every run ends, so Final is the liveness;
 *   ltl eventually_done  the same three as one claim, checked under weak fairness (pan -a -f).
 * Faults come from finite budgets (each -D overridable), so that every run comes to rest.
 * FIX_* macros are the repairs the model asks of the code as built (docs/model.md, "What the model
 * found"); without them the found_* configurations show spin's counterexamples.
 */

#ifndef MAXSEND
#define MAXSEND 1           /* sends of the ClientSeqNo: 2 covers a refusal, a continue, a second send */
#endif
#define MAXTRY 3            /* domain/exchange.MAX_TRIES */
#define NTRY (MAXSEND * MAXTRY)   /* try numbers 1..NTRY; send s owns (s-1)*MAXTRY+1 .. s*MAXTRY */
#ifndef NBATCH
#define NBATCH 2            /* batches that may claim it */
#endif

#ifndef AGENT_CRASHES
#define AGENT_CRASHES 1     /* the agent dies (or a call it makes gets no 2xx) */
#endif
#ifndef LAMBDA_CRASHES
#define LAMBDA_CRASHES 1    /* a submit invocation dies; its message comes back */
#endif
#ifndef REDELIVERIES
#define REDELIVERIES 1      /* SQS delivers a submit message once more */
#endif
#ifndef SLOW_LEASES
#define SLOW_LEASES 1       /* an outbox lease runs out while the agent still holds its token */
#endif
#ifndef CLIENT_FAILS
#define CLIENT_FAILS 3      /* the client moves a zip to FailBox */
#endif
#ifndef RECEIPT_DUPS
#define RECEIPT_DUPS 1      /* customs (or the client) writes a receipt twice */
#endif
#ifndef DEADLINES
#define DEADLINES 1         /* the claim's deadline passes (functions/schedule: lifecycle.timed_out) */
#endif
#ifndef CONTINUES
#define CONTINUES 0         /* a person presses 继续智能辅助申报 (lifecycle.continue_) */
#endif
/* -DNO_RECEIPTS: customs issues no DEC_RESULT (the sends alone: the receipts are checked apart) */
#ifndef ACK_LOSSES
#define ACK_LOSSES 0        /* the acknowledgement gets no answer and the agent's pass goes on (Agent.step) */
#endif
#ifndef API_DEATHS
#define API_DEATHS 1        /* an API invocation dies after its commit, before the rest of its work */
#endif

/* ---- the declaration's states, as the domain names them ---------------------------------------- */
mtype = { smart_pending, smart_in_progress, smart_succeeded, smart_failed };          /* SmartStatus */
/* DeclarationStatus by its RANK (domain/receipts.RANK): a receipt leaves the higher of the two */
#define status_temp_saved 0
#define status_declared   1
#define status_accepted   2
#define status_rejected   3
#define status_released   4
#define status_closed     5
/* a send (domain/exchange.SendState), send_none: not put; Declaration.handover: queued, written, sent */
mtype = { send_none, send_queued, send_taken, send_written, send_sent, send_answered };
mtype = { answer_none, answer_accepted, answer_refused, answer_card_failed, answer_gave_up };  /* Answer */
/* a try's file in the agent's journal (smartdecl_agent/journal.STATES); journal_none: not recorded */
mtype = { journal_none, journal_writing, journal_written, journal_handed, journal_sent_seen, journal_sent,
          journal_failed_seen, journal_failed, journal_gave_up };

/* DEC_RESULT receipts customs issues after it accepted (domain/receipts.CHANNELS) */
#define NREC 4
#define REC_L 1             /* 海关入库成功 → accepted */
#define REC_P 2             /* 已放行 → released */
#define REC_R 3             /* 已结关 → closed */
#define REC_E 4             /* 退单/不受理 → rejected */

#define FIRST_TRY(s) (((s) - 1) * MAXTRY + 1)
#define SEND_OF(t) (((t) - 1) / MAXTRY + 1)
#define OPEN(s) (item[s] != send_none && item[s] != send_answered)
#define AT_LEAST_WRITTEN(s) (item[s] == send_written || item[s] == send_sent || item[s] == send_answered)
#define LEASABLE(s) (item[s] == send_queued || (item[s] == send_taken && expired[s]))
/* the declaration waits for send s (lifecycle.handover_moved / answered: in progress, send_no None or s) */
#ifndef FIX_NEXT_SEND_ANSWER
#define WAITS_FOR(s) (smart == smart_in_progress && (decl_send == 0 || decl_send == (s)))
#else
/* The repair (docs/model.md), lifecycle.waits_for: a declaration that took send s-1's answer and hands
 * over no other waits for send s too, before the submission's lifecycle.handed_over(s) is committed */
#define WAITS_FOR(s) (smart == smart_in_progress && \
  (decl_send == 0 || decl_send == (s) || (decl_send + 1 == (s) && handover == send_none)))
#endif

/* ---- the service's tables (DynamoDB) ----------------------------------------------------------- */
mtype smart = smart_pending;      /* Declaration.smart_status (marked, temp-saved: in the pool) */
byte status = status_temp_saved;  /* Declaration.status */
mtype handover = send_none;       /* Declaration.handover */
byte batch = 0;                   /* Declaration.batch_no: the batch that claimed it last */
byte decl_send = 0;               /* Declaration.send_no */
bool has_customs_seq_no = 0;      /* Declaration.customs_seq_no known: a receipt naming it matches */
bool sending = 0;                 /* Declaration.sending_until in the future (the sending lease) */
bool sending_live = 0;            /* ... and its holder still running (else it runs out) */
bool claim_deadline = 0;          /* Declaration.claim_deadline set (handed_over clears it) */

byte sends = 0;                   /* the ClientSeqNo's sends put in the exchange outbox */
mtype item[MAXSEND + 1];          /* Send.state */
mtype item_answer[MAXSEND + 1];   /* Send.answer */
byte token[MAXSEND + 1];          /* Send.lease_token, as a counter */
bool expired[MAXSEND + 1];        /* Send.lease_expires_at passed */

bool rec_applied[NREC + 1];       /* ReceiptRepository: DEC_RESULT receipt ids applied */
bool parked[NREC + 1];            /* exchange_inbox: a DEC_RESULT naming a SeqNo no declaration holds yet */

/* ---- SQS: the submission queue ----------------------------------------------------------------- */
byte sqs[NBATCH + 1];             /* visible copies of batch b's submit message */
byte running = 0;                 /* submit invocations at work */
byte returning[NBATCH + 1];       /* messages of dead invocations, invisible until their lease ran out */

/* ---- customs ----------------------------------------------------------------------------------- */
byte customs_got[MAXSEND + 1];    /* messages of send s signed and sent to customs */
bool accepted_at_customs = 0;
bool issued[NREC + 1];            /* DEC_RESULT receipts customs issued */

/* ---- the broker's PC: the client's folders and the agent's journal ------------------------------ */
byte outbox[NTRY + 1];            /* <root>/Deccus001/OutBox: I_<ClientSeqNo>_t-<try>.zip */
byte sentbox[NTRY + 1];
byte failbox[NTRY + 1];
byte archived[NTRY + 1];          /* <root>/smartdecl/archive */
bool answer_due[NTRY + 1];        /* the client owes an answer file for try t */
mtype resp_kind[NTRY + 1];        /* what it says */
byte inbox_resp[NTRY + 1];        /* Successed_/Failed_ files of try t in InBox */
byte inbox_rec[NREC + 1];         /* Receipt_… files in InBox */

/* ---- ghosts: what the checks count ------------------------------------------------------------ */
byte rec_moves[NREC + 1];         /* times a receipt moved the declaration */
byte answer_moves[MAXSEND + 1];   /* times an answer moved the declaration */
byte continued = 0;               /* continues pressed */
byte continued_at_put[MAXSEND + 1];   /* ... when send s was put */
byte max_issued = status_temp_saved;  /* the join of what customs said */
bool agent_holds[MAXSEND + 1];    /* the agent holds send s's current lease token (memory or journal) */

/* ---- fault budgets ---------------------------------------------------------------------------- */
byte agent_crashes = AGENT_CRASHES;
byte lambda_crashes = LAMBDA_CRASHES;
byte redeliveries = REDELIVERIES;
byte slow_leases = SLOW_LEASES;
byte client_fails = CLIENT_FAILS;
byte receipt_dups = RECEIPT_DUPS;
byte deadlines = DEADLINES;
byte continues = CONTINUES;
byte api_deaths = API_DEATHS;
byte ack_losses = ACK_LOSSES;

inline join_status(target) {
  if
  :: target > status -> status = target
  :: else -> skip
  fi
}

inline rec_target(k, r) {
  if
  :: k == REC_L -> r = status_accepted
  :: k == REC_P -> r = status_released
  :: k == REC_R -> r = status_closed
  :: k == REC_E -> r = status_rejected
  fi
}

/* services/receipts.apply_receipts → lifecycle.receipt: a DEC_RESULT applied once (its receipt_id
 * stored with the change), its status joined with the declaration's (domain/receipts.status_after);
 * it names customs' SeqNo, which the declaration holds from then on. */
inline apply_receipt(k, r) {
  rec_applied[k] = 1;
  rec_moves[k]++;
  assert(rec_moves[k] <= 1);
  rec_target(k, r);
  join_status(r);
  has_customs_seq_no = 1;
  printf("service: receipt %d applied (lifecycle.receipt), status rank now %d\n", k, status)
}

/* ======================================================================================== engine */

/* The batch, the schedule's watchdog, a person, and SQS's own redelivery. */
proctype Engine() {
end:
  do
  :: atomic {
       /* services/batches.claim_batch: lifecycle.claim; the gates pass (lifecycle.pass_gates) and
        * the validation function sends the submit message of this batch */
       smart == smart_pending && status == status_temp_saved && batch < NBATCH ->
       smart = smart_in_progress; batch++; claim_deadline = 1; sqs[batch]++;
       printf("engine: batch %d claims the declaration (lifecycle.claim)\n", batch)
     }
  :: atomic {
       /* functions/schedule: in progress past its claim deadline, nothing at it: lifecycle.timed_out */
       smart == smart_in_progress && claim_deadline && running == 0 && deadlines > 0 ->
       deadlines--; smart = smart_pending; claim_deadline = 0; sending = 0; sending_live = 0; handover = send_none;
       printf("engine: the claim deadline passed (lifecycle.timed_out): pending again\n")
     }
  :: atomic {
       /* a person: services/declarations → lifecycle.continue_ */
       smart == smart_failed && status == status_temp_saved && continues > 0 ->
       continues--; continued++; smart = smart_pending;
       printf("person: 继续智能辅助申报 (lifecycle.continue_)\n")
     }
  :: atomic {
       /* SQS delivers a message once more (at-least-once) */
       batch > 0 && redeliveries > 0 -> redeliveries--; sqs[batch]++;
       printf("sqs: batch %d's submit message delivered again\n", batch)
     }
  od
}

/* Time: a sending lease whose holder died runs out (Declaration.sending_until); an outbox lease runs
 * out (Send.lease_expires_at): always once the agent holds its token nowhere (it died holding it),
 * SLOW_LEASES times while it does (a slow agent). */
#define EXPIRES(s) \
  :: atomic { \
       item[s] == send_taken && !expired[s] && (!agent_holds[s] || slow_leases > 0) -> \
       if \
       :: !agent_holds[s] -> expired[s] = 1 \
       :: agent_holds[s] -> slow_leases--; expired[s] = 1 \
       fi; \
       printf("clock: send %d's lease ran out\n", s) \
     }

proctype Clock() {
end:
  do
  :: atomic { sending && !sending_live -> sending = 0; printf("clock: the dead invocation's sending lease ran out\n") }
  /* its message comes back after the visibility timeout, which is longer than the lease
   * (lifecycle.start_sending: the lease ends by the function's timeout, before its message returns) */
  :: atomic { !sending && returning[1] > 0 -> returning[1]--; sqs[1]++; printf("sqs: batch 1's message is visible again\n") }
#if NBATCH > 1
  :: atomic { !sending && returning[2] > 0 -> returning[2]--; sqs[2]++; printf("sqs: batch 2's message is visible again\n") }
#endif
#ifndef HTTP
  EXPIRES(1)
#if MAXSEND > 1
  EXPIRES(2)
#endif
#endif
  od
}

/* ==================================================================================== submission */

/* A submit invocation dies: its message comes back after the visibility timeout; a lease it took
 * runs out by itself (Clock). */
#define LAMBDA_CRASH(where) \
  if \
  :: atomic { lambda_crashes > 0 -> \
       lambda_crashes--; running--; \
       if :: mine -> sending_live = 0; returning[b]++ :: else -> sqs[b]++ fi; mine = 0; \
       printf(where) }; \
     goto next \
  :: true -> skip \
  fi

#if NBATCH > 1
#define SECOND_BATCH :: sqs[2] > 0 -> b = 2
#else
#define SECOND_BATCH
#endif
#if NBATCH > 2
#define MORE_BATCHES :: sqs[3] > 0 -> b = 3
#else
#define MORE_BATCHES
#endif
#define TAKE_MESSAGE \
  atomic { \
    if \
    :: sqs[1] > 0 -> b = 1 \
    SECOND_BATCH \
    MORE_BATCHES \
    fi; \
    sqs[b]--; running++; mine = 0; found_accepted = 0; found_refused = 0; s = 0; seen = 0; \
    printf("submit: an invocation takes batch %d's message\n", b) \
  }

#define FINISH_MESSAGE \
  atomic { running--; if :: mine -> sending_live = 0 :: else -> skip fi; mine = 0; b = 0; s = 0; found_accepted = 0; \
           found_refused = 0; seen = 0 }

#ifndef HTTP
/* a new send only after the previous was answered (not accepted) and a person continued since */
#define PUT_SEND \
  assert(sends < MAXSEND); \
  assert(sends == 0 || continued > continued_at_put[sends]); \
  sends++; s = sends; item[s] = send_queued; continued_at_put[s] = continued; \
  printf("submit: send %d put in the exchange outbox (queued)\n", s)

#define COMMIT_ANSWER \
  if \
  :: found_accepted -> smart = smart_succeeded; join_status(status_declared); has_customs_seq_no = 1; \
     printf("submit: lifecycle.declared (customs had accepted it)\n") \
  :: found_refused -> smart = smart_failed; decl_send = s; \
     printf("submit: lifecycle.answered (send %d's refusal, found by the lookup)\n", s) \
  :: else -> handover = send_queued; decl_send = s; printf("submit: lifecycle.handed_over (send %d)\n", s) \
  fi; \
  claim_deadline = 0; sending = 0

#ifndef FIX_STAGED_SAME_CLAIM
#define STILL_OURS true
#else
/* The repair (docs/model.md): submit_declaration._answer_steps' still_ours also asks that
 * the declaration is still this message's claim (its batch), not a later one after a continue */
#define STILL_OURS (batch == b)
#endif
#ifndef FIX_SEND_AFTER_ANSWER
/* ExchangeCustomsGateway.declare as built: after an answered send that was not accepted, a new one */
#define FIND_SEND \
  if \
  :: sends > 0 && (OPEN(sends) || item_answer[sends] == answer_accepted) -> \
       s = sends; found_accepted = (item[sends] == send_answered); \
       printf("submit: lookup finds send %d (no new send)\n", s) \
  :: else -> PUT_SEND \
  fi
#else
/* The repair (docs/model.md, "What the model found"): a new send only when the declaration
 * as leased has taken the latest send's answer (its send_no is that send's); otherwise the lookup's
 * answer is the declaration's (lifecycle.answered with that send_no). */
#define FIND_SEND \
  if \
  :: sends > 0 && (OPEN(sends) || item_answer[sends] == answer_accepted) -> \
       s = sends; found_accepted = (item[sends] == send_answered); \
       printf("submit: lookup finds send %d (no new send)\n", s) \
  :: sends > 0 && !OPEN(sends) && item_answer[sends] != answer_accepted && seen != sends -> \
       s = sends; found_refused = 1; \
       printf("submit: lookup finds send %d answered, not yet taken by the declaration: no new send\n", s) \
  :: sends == 0 || (!OPEN(sends) && item_answer[sends] != answer_accepted && seen == sends) -> PUT_SEND \
  fi
#endif

/* functions/submit → services/submit_declaration._submit, exchange channel (ExchangeCustomsGateway) */
proctype Submit() {
  byte b, s, seen;
  bool mine, found_accepted, found_refused;
end:
next:
  do
  :: TAKE_MESSAGE;
     /* _submit: the declaration as read; another batch's, or with the client already: duplicate */
     if
     :: smart != smart_in_progress || batch != b || handover != send_none ->
          printf("submit: duplicate (the declaration moved on)\n"); goto done
     :: else -> skip
     fi;
     LAMBDA_CRASH("submit: the invocation dies after reading\n");
     /* holds_lease: lifecycle.may_send, lifecycle.start_sending (a conditional write) */
     atomic {
       if
       :: smart == smart_in_progress && batch == b && handover == send_none && !sending ->
            sending = 1; sending_live = 1; mine = 1; seen = decl_send;
            printf("submit: sending lease taken (lifecycle.start_sending)\n")
       :: else -> printf("submit: another delivery holds the lease: duplicate\n"); goto done
       fi
     };
     LAMBDA_CRASH("submit: the invocation dies holding the lease\n");
     /* ExchangeCustomsGateway.declare: the latest send (lookup), or a new one put on the condition
      * that it does not exist (domain/exchange.next_send); the declaration is not read again */
     atomic { FIND_SEND };
     LAMBDA_CRASH("submit: the invocation dies after the outbox put\n");
     /* Invocation.finish: the staged answer committed, made again on the record as it now is
      * (run.stage's `again`, still_ours): lifecycle.handed_over, or lifecycle.declared when customs
      * had accepted this ClientSeqNo before */
     atomic {
       if
       :: smart == smart_in_progress && handover == send_none && STILL_OURS -> COMMIT_ANSWER
       :: else -> printf("submit: the declaration moved on; the staged answer is dropped\n")
       fi
     };
done:
     FINISH_MESSAGE
  od
}
#else
/* functions/submit → services/submit_declaration._submit, HTTP channel (HttpCustomsGateway) */
byte http_resends = 0;            /* ghost: declares of a ClientSeqNo customs had refused */
proctype Submit() {
  byte b, s, seen;
  bool mine, found_accepted, found_refused;
end:
next:
  do
  :: TAKE_MESSAGE;
     if
     :: smart != smart_in_progress || batch != b -> printf("submit: duplicate\n"); goto done
     :: else -> skip
     fi;
     LAMBDA_CRASH("submit: the invocation dies after reading\n");
     atomic {   /* holds_lease: lifecycle.may_send, lifecycle.start_sending */
       if
       :: smart == smart_in_progress && batch == b && !sending ->
            sending = 1; sending_live = 1; mine = 1; printf("submit: sending lease taken\n")
       :: else -> printf("submit: another delivery holds the lease: duplicate\n"); goto done
       fi
     };
     LAMBDA_CRASH("submit: the invocation dies holding the lease\n");
     /* send_to_customs: customs.lookup first (GET /dec/lookup); declare (POST /dec/declare) unless
      * it arrived accepted; customs (CustomsSimulator.declare) accepts or refuses */
     atomic {
       if
       :: accepted_at_customs -> found_accepted = 1; printf("submit: lookup finds it accepted: not sent again\n")
       :: else ->
            if :: customs_got[1] > 0 -> http_resends++ :: else -> skip fi;
            customs_got[1]++;
            if
            :: accepted_at_customs = 1; found_accepted = 1; printf("submit: declared; customs accepts\n")
            :: printf("submit: declared; customs refuses\n")
            fi
       fi
     };
     LAMBDA_CRASH("submit: the invocation dies before committing customs' answer\n");
     atomic {   /* Invocation.finish: lifecycle.declared or lifecycle.fail, while still in progress */
       if
       :: smart == smart_in_progress ->
            if
            :: found_accepted -> smart = smart_succeeded; join_status(status_declared); has_customs_seq_no = 1;
               printf("submit: lifecycle.declared\n")
            :: else -> smart = smart_failed; printf("submit: lifecycle.fail\n")
            fi;
            claim_deadline = 0; sending = 0
       :: else -> printf("submit: the declaration moved on; the staged answer is dropped\n")
       fi
     };
done:
     FINISH_MESSAGE
  od
}
#endif

/* ======================================================================================= customs */

#define ISSUED(k) rec_target(k, r); if :: r > max_issued -> max_issued = r :: else -> skip fi; \
  printf("customs: receipt %d issued\n", k)

#ifndef HTTP
/* infra/customs_simulator/client_mode: the Single Window client on the folders. It takes a zip from
 * OutBox and sends it (SentBox; customs accepts or refuses), cannot send it (FailBox), or cannot
 * sign it (a card failure: SentBox, nothing reaches customs). It writes its answer into InBox later
 * (.tmp, then a rename: one step here). "Down, then restarted" is the client not acting a while. */
#define CLIENT_TAKES(x) \
  :: atomic { \
       outbox[x] > 0 -> outbox[x]--; \
       if \
       :: sentbox[x]++; customs_got[SEND_OF(x)]++; \
          printf("client: t-%d sent to customs (SentBox)\n", x); \
          assert(customs_got[SEND_OF(x)] <= 1);  /* never two sends of one ClientSeqNo per send_no */ \
          assert(!accepted_at_customs);            /* nothing after customs accepted the ClientSeqNo */ \
          if \
          :: resp_kind[x] = answer_accepted; accepted_at_customs = 1 \
          :: resp_kind[x] = answer_refused \
          fi; \
          answer_due[x] = 1 \
       :: client_fails > 0 -> client_fails--; failbox[x]++; printf("client: t-%d could not be sent (FailBox)\n", x) \
       :: sentbox[x]++; resp_kind[x] = answer_card_failed; answer_due[x] = 1; \
          printf("client: t-%d not signed: card failure (SentBox)\n", x) \
       fi \
     } \
  :: atomic { answer_due[x] -> answer_due[x] = 0; inbox_resp[x]++; printf("client: t-%d's answer written into InBox\n", x) }

proctype Client() {
end:
  do
  CLIENT_TAKES(1)
  CLIENT_TAKES(2)
  CLIENT_TAKES(3)
#if MAXSEND > 1
  CLIENT_TAKES(4)
  CLIENT_TAKES(5)
  CLIENT_TAKES(6)
#endif
  od
}

/* Customs' DEC_RESULT receipts once it accepted: 入库成功, then 放行 and 结关, or 退单; the client
 * writes each into InBox (CustomsSimulator._send_receipts with a receipt_sink); one may come twice. */
#define ISSUE(k) atomic { issued[k] = 1; inbox_rec[k]++; ISSUED(k) }
#define DUPLICATE(k) \
  :: atomic { issued[k] && receipt_dups > 0 -> receipt_dups--; inbox_rec[k]++; printf("customs: receipt %d written again\n", k) }
#else
/* Customs POSTs each receipt to /customs/receipts until one is answered 2xx
 * (CustomsSimulator._deliver); services/receipts.ingest_receipts applies it once. An API invocation
 * that dies after its commit answers nothing, so the receipt comes again. */
bool http_pending[NREC + 1];
#define ISSUE(k) atomic { issued[k] = 1; http_pending[k] = 1; ISSUED(k) }
#define DELIVER(k) \
  :: atomic { \
       http_pending[k] -> \
       if :: !rec_applied[k] -> apply_receipt(k, r) :: else -> printf("service: receipt %d duplicate\n", k) fi; \
       if :: api_deaths > 0 -> api_deaths--; printf("service: the invocation dies before answering\n") \
          :: http_pending[k] = 0 \
       fi \
     }
#define DUPLICATE(k) \
  :: atomic { issued[k] && !http_pending[k] && receipt_dups > 0 -> receipt_dups--; http_pending[k] = 1; \
              printf("customs: receipt %d sent again\n", k) }
#endif

proctype Customs() {
  byte r;
end_waiting:
  accepted_at_customs;
  ISSUE(REC_L);
  if
  :: ISSUE(REC_P); ISSUE(REC_R)
  :: ISSUE(REC_E)
  fi;
end:
  do
#ifdef HTTP
  DELIVER(REC_L)
  DELIVER(REC_P)
  DELIVER(REC_R)
  DELIVER(REC_E)
#endif
  DUPLICATE(REC_L)
  DUPLICATE(REC_P)
  DUPLICATE(REC_R)
  DUPLICATE(REC_E)
  od
}

/* ========================================================================================= agent */

#ifndef HTTP
/* The agent dies here (or a call it makes gets no 2xx: the pass ends the same way) and starts again
 * at Agent.resume with its journal and the folders, nothing else. */
#define AGENT_DIES(where) \
  if \
  :: agent_crashes > 0 -> agent_crashes--; printf(where); goto restart \
  :: true -> skip \
  fi

/* Agent._finish_write: writing → written; the same bytes under the same name unless the file is in
 * OutBox, SentBox or FailBox already. */
inline finish_write(x) {
  if
  :: outbox[x] + sentbox[x] + failbox[x] > 0 ->
       journal[x] = journal_written; printf("agent: t-%d is there already; journal: written\n", x)
  :: else ->
       staged[x] = 1; printf("agent: t-%d staged under a temporary name\n", x);
       AGENT_DIES("agent dies: staged\n");
       atomic { staged[x] = 0; outbox[x] = 1; printf("agent: t-%d renamed into OutBox\n", x) };
       AGENT_DIES("agent dies: renamed\n");
       journal[x] = journal_written; printf("agent: journal: t-%d written\n", x);
       AGENT_DIES("agent dies: marked_written\n")
  fi
}

/* Agent._acknowledge: a send's first file is acknowledged (POST …/written → Send.acknowledge,
 * lifecycle.handover_moved); a next try just moves on to handed. 409 lease_lost: it is acknowledged
 * when the send is handed out again. */
inline acknowledge(x, tok) {
  acked = 1;
  if
  :: x == FIRST_TRY(SEND_OF(x)) ->
       AGENT_DIES("agent dies: the acknowledgement is not answered\n");
       if
       :: ack_losses > 0 -> ack_losses--; acked = 0; printf("agent: no answer to t-%d's acknowledgement; the pass goes on\n", x);
       :: true ->
       atomic {
         if
         :: AT_LEAST_WRITTEN(SEND_OF(x)) -> printf("service: t-%d acknowledged again: the same answer\n", x)
         :: item[SEND_OF(x)] == send_taken && tok == token[SEND_OF(x)] ->
              item[SEND_OF(x)] = send_written; expired[SEND_OF(x)] = 0;
              printf("service: t-%d acknowledged (Send.acknowledge)\n", x);
              if
              :: WAITS_FOR(SEND_OF(x)) && handover != send_sent ->
                   handover = send_written; decl_send = SEND_OF(x); claim_deadline = 0
              :: else -> skip
              fi
         :: else -> acked = 0; printf("service: t-%d acknowledged under an old lease: 409 lease_lost\n", x)
         fi
       };
       AGENT_DIES("agent dies: acknowledged\n")
       fi
  :: else -> skip
  fi;
  if
  :: acked && journal[x] == journal_written -> journal[x] = journal_handed; jtoken[x] = tok
  :: else -> skip
  fi
}

/* POST …/events sent (Send.event; lifecycle.handover_moved): once per (try, kind) */
inline event_sent(x) {
  atomic {
    if
    :: OPEN(SEND_OF(x)) ->
         item[SEND_OF(x)] = send_sent; printf("service: t-%d reported sent\n", x);
         if
         :: WAITS_FOR(SEND_OF(x)) -> handover = send_sent; decl_send = SEND_OF(x); claim_deadline = 0
         :: else -> skip
         fi
    :: else -> skip
    fi
  }
}

/* POST …/events send_failed or gave_up (Send.event; gave_up answers the send: lifecycle.answered) */
inline event_failed(x, last) {
  atomic {
    if
    :: OPEN(SEND_OF(x)) && last ->
         item[SEND_OF(x)] = send_answered; item_answer[SEND_OF(x)] = answer_gave_up;
         printf("service: send %d gave up after t-%d\n", SEND_OF(x), x);
         if
         :: WAITS_FOR(SEND_OF(x)) ->
              answer_moves[SEND_OF(x)]++; assert(answer_moves[SEND_OF(x)] <= 1);
              smart = smart_failed; handover = send_none; decl_send = SEND_OF(x); claim_deadline = 0; sending = 0
         :: else -> skip
         fi
    :: OPEN(SEND_OF(x)) && !last && !AT_LEAST_WRITTEN(SEND_OF(x)) -> item[SEND_OF(x)] = send_written
    :: else -> skip
    fi
  }
}

/* Agent._report_sent: sent_seen → sent */
inline report_sent(x) {
  AGENT_DIES("agent dies: reporting sent\n");
  event_sent(x);
  AGENT_DIES("agent dies: sent_reported\n");
  journal[x] = journal_sent
}

/* Agent._after_failure: the next try written (unless it gave up), then the failed zip archived */
inline after_failure(x) {
  if
  :: journal[x] == journal_failed ->
       n = x + 1;
       if
       :: journal[n] == journal_none ->
            journal[n] = journal_writing; jtoken[n] = 0; printf("agent: journal records t-%d (next try)\n", n);
            AGENT_DIES("agent dies: next_try_journaled\n")
       :: else -> skip
       fi;
       if :: journal[n] == journal_writing -> finish_write(n) :: else -> skip fi;
       if :: journal[n] == journal_written -> journal[n] = journal_handed :: else -> skip fi
  :: else -> skip
  fi;
  if
  :: failbox[x] > 0 ->
       atomic { failbox[x]--; archived[x]++; printf("agent: t-%d moved from FailBox to the archive\n", x) };
       AGENT_DIES("agent dies: failure_archived\n")
  :: else -> skip
  fi;
  jarchived[x] = 1
}

/* Agent._report_failure: failed_seen → failed (send_failed reported) or gave_up (the last try) */
inline report_failure(x) {
  last = (x - FIRST_TRY(SEND_OF(x)) + 1 >= MAXTRY);
  AGENT_DIES("agent dies: reporting the failure\n");
  event_failed(x, last);
  AGENT_DIES("agent dies: failure_reported\n");
  if :: last -> journal[x] = journal_gave_up :: else -> journal[x] = journal_failed fi;
  after_failure(x)
}

/* POST /agent/inbox with a DecImportResponse: services/exchange_inbox._answer (Send.answered,
 * lifecycle.answered in one commit), then _unpark applies the DEC_RESULT files parked for the SeqNo
 * it names: a second step of the same invocation. */
inline forward_answer(x) {
  AGENT_DIES("agent dies: forwarding an answer\n");
  unpark = 0;
  atomic {
    if
    :: OPEN(SEND_OF(x)) ->
         item[SEND_OF(x)] = send_answered; item_answer[SEND_OF(x)] = resp_kind[x];
         if
         :: WAITS_FOR(SEND_OF(x)) ->
              answer_moves[SEND_OF(x)]++;
              assert(answer_moves[SEND_OF(x)] <= 1);
              if
              :: resp_kind[x] == answer_accepted ->
                   smart = smart_succeeded; join_status(status_declared); has_customs_seq_no = 1; unpark = 1;
                   printf("service: t-%d's answer applied: declared (lifecycle.answered)\n", x)
              :: else -> smart = smart_failed; printf("service: t-%d's answer applied: failed (lifecycle.answered)\n", x)
              fi;
              handover = send_none; decl_send = SEND_OF(x); claim_deadline = 0; sending = 0
         :: else -> printf("service: t-%d's answer kept: the declaration does not wait for it\n", x)
         fi
    :: else -> printf("service: t-%d's answer: duplicate\n", x);
#ifdef FIX_UNPARK_ON_DUPLICATE
         /* the repair (docs/model.md): a repeated accepted answer unparks too */
         unpark = (item_answer[SEND_OF(x)] == answer_accepted)
#else
         skip
#endif
    fi
  };
  if
  :: unpark ->
       if
       :: api_deaths > 0 -> api_deaths--; printf("service: the invocation dies before _unpark\n"); goto restart
       :: true -> skip
       fi;
       for (i : 1 .. NREC) {
         atomic {
           if
           :: parked[i] -> if :: !rec_applied[i] -> apply_receipt(i, r) :: else -> skip fi; parked[i] = 0
           :: else -> skip
           fi
         }
       };
       i = 0
  :: else -> skip
  fi;
  AGENT_DIES("agent dies: forwarded (the file still in InBox)\n");
  inbox_resp[x]--                             /* moved to the archive */
}

/* POST /agent/inbox with a DEC_RESULT: services/exchange_inbox._business: applied when a declaration
 * holds the SeqNo it names, else parked until the DecImportResponse that names it */
inline forward_receipt(k) {
  AGENT_DIES("agent dies: forwarding a receipt\n");
  atomic {
    if
    :: rec_applied[k] -> printf("service: receipt %d duplicate\n", k)
    :: !rec_applied[k] && has_customs_seq_no -> apply_receipt(k, r)
    :: !rec_applied[k] && !has_customs_seq_no -> parked[k] = 1; printf("service: receipt %d parked\n", k)
    fi
  };
  AGENT_DIES("agent dies: forwarded (the file still in InBox)\n");
  inbox_rec[k]--
}

/* What the agent does next: the first step of its pass (Agent.step: resume, watch_client, take,
 * forward_inbox) that has work, with the try (or send, or receipt) it works on. Listing a folder or
 * querying the journal changes nothing, so finding it is one step. */
#define A_WRITE     1   /* resume: a `writing` try → _finish_write */
#define A_ACK       2   /* resume: a `written` try → _acknowledge */
#define A_SENT      3   /* resume: `sent_seen` → _report_sent */
#define A_FAILED    4   /* resume: `failed_seen` → _report_failure */
#define A_ARCHIVE   5   /* resume: a failure not archived → _after_failure */
#define A_SENTBOX   6   /* watch_client: a handed try in SentBox */
#define A_FAILBOX   7   /* watch_client: a handed try in FailBox */
#define A_TAKE      8   /* take: GET /agent/outbox, then _take_one */
#define A_ANSWER    9   /* forward_inbox: a DecImportResponse */
#define A_RECEIPT  10   /* forward_inbox: a DEC_RESULT */

#define FIND(code, cond) for (i : 1 .. NTRY) { if :: act == 0 && (cond) -> act = code; t = i :: else -> skip fi }

inline next_action() {
  act = 0; t = 0;
  FIND(A_WRITE, journal[i] == journal_writing);
  FIND(A_ACK, journal[i] == journal_written && !refused[i]);
  FIND(A_SENT, journal[i] == journal_sent_seen);
  FIND(A_FAILED, journal[i] == journal_failed_seen);
  FIND(A_ARCHIVE, (journal[i] == journal_failed || journal[i] == journal_gave_up) && !jarchived[i]);
  FIND(A_SENTBOX, sentbox[i] > 0 && journal[i] == journal_handed);
  FIND(A_FAILBOX, failbox[i] > 0 && journal[i] == journal_handed);
  for (i : 1 .. MAXSEND) { if :: act == 0 && LEASABLE(i) -> act = A_TAKE; t = i :: else -> skip fi };
  FIND(A_ANSWER, inbox_resp[i] > 0);
  for (i : 1 .. NREC) { if :: act == 0 && inbox_rec[i] > 0 -> act = A_RECEIPT; t = i :: else -> skip fi };
  i = 0
}

#define HAS_WORK(x) (journal[x] == journal_writing || (journal[x] == journal_written && !refused[x]) || \
  journal[x] == journal_sent_seen || journal[x] == journal_failed_seen || \
  ((journal[x] == journal_failed || journal[x] == journal_gave_up) && !jarchived[x]) || \
  ((sentbox[x] > 0 || failbox[x] > 0) && journal[x] == journal_handed) || inbox_resp[x] > 0)
#define RECEIPTS_WAITING (inbox_rec[1] > 0 || inbox_rec[2] > 0 || inbox_rec[3] > 0 || inbox_rec[4] > 0)
#if MAXSEND > 1
#define AGENT_HAS_WORK (HAS_WORK(1) || HAS_WORK(2) || HAS_WORK(3) || HAS_WORK(4) || HAS_WORK(5) || HAS_WORK(6) || \
  LEASABLE(1) || LEASABLE(2) || RECEIPTS_WAITING)
#else
#define AGENT_HAS_WORK (HAS_WORK(1) || HAS_WORK(2) || HAS_WORK(3) || LEASABLE(1) || RECEIPTS_WAITING)
#endif

/* smartdecl_agent/agent.Agent */
/* Whether the agent will use send s's current lease: its journal has the first try writing or
 * written under that token (a ghost for Clock: a lease nobody holds runs out). */
#define HOLDS_IN_JOURNAL(s) (jtoken[FIRST_TRY(s)] == token[s] && \
  (journal[FIRST_TRY(s)] == journal_writing || journal[FIRST_TRY(s)] == journal_written))

proctype Agent() {
  /* what survives a restart: the journal (SQLite) and the staging file */
  mtype journal[NTRY + 1];    /* the journal's tries */
  byte jtoken[NTRY + 1];      /* the lease token recorded with a try */
  bool jarchived[NTRY + 1];   /* a failed try's zip moved to the archive */
  bool staged[NTRY + 1];      /* the zip under its temporary name, beside OutBox */
  /* what a restart loses */
  byte i, t, n, r, tk, act;
  bool acked, last, unpark, ok;
  bool refused[NTRY + 1];     /* acknowledged and refused (409 lease_lost): tried again after a take */
  d_step { for (i : 0 .. NTRY) { journal[i] = journal_none }; i = 0 };
restart:
  skip;
  d_step {
    for (i : 1 .. MAXSEND) { agent_holds[i] = HOLDS_IN_JOURNAL(i) };
    for (i : 1 .. NTRY) { refused[i] = 0 };
    i = 0; t = 0; n = 0; r = 0; tk = 0; act = 0; acked = 0; last = 0; unpark = 0; ok = 0
  };
end_idle:
  do
  :: atomic { AGENT_HAS_WORK -> next_action() };
     if
     :: act == A_WRITE -> finish_write(t)
     :: act == A_ACK -> acknowledge(t, jtoken[t]); refused[t] = !acked
     :: act == A_SENT -> report_sent(t)
     :: act == A_FAILED -> report_failure(t)
     :: act == A_ARCHIVE -> after_failure(t)
     :: act == A_SENTBOX ->
          journal[t] = journal_sent_seen; printf("agent: t-%d seen in SentBox\n", t);
          AGENT_DIES("agent dies: sent_seen\n");
          report_sent(t)
     :: act == A_FAILBOX ->
          journal[t] = journal_failed_seen; printf("agent: t-%d seen in FailBox\n", t);
          AGENT_DIES("agent dies: failed_seen\n");
          report_failure(t)
     :: act == A_TAKE ->
          n = t;                                         /* the send */
          atomic {                                       /* Send.take: leased under a new token */
            item[n] = send_taken; expired[n] = 0; token[n]++; tk = token[n]; agent_holds[n] = 1;
            for (i : 1 .. NTRY) { refused[i] = 0 }; i = 0;
            printf("agent: takes send %d (lease %d)\n", n, tk)
          };
          AGENT_DIES("agent dies: taken (or the answer to GET /agent/outbox was lost)\n");
          t = FIRST_TRY(n);
#ifndef BROKEN_NO_JOURNAL_CHECK
          /* Agent._take_one: the journal first */
          if
          :: journal[t] == journal_none ->
               /* Agent._first_sight: no later try in the journal, no file of this try on but this very one */
               d_step {
                 ok = 1;
                 for (i : t .. NTRY) {
                   if :: journal[i] != journal_none -> ok = 0 :: else -> skip fi;
                   if :: i != t && outbox[i] + sentbox[i] + failbox[i] + archived[i] > 0 -> ok = 0 :: else -> skip fi
                 };
                 i = 0
               };
               if
               :: ok -> journal[t] = journal_writing; jtoken[t] = tk;   /* Journal.record */
                        printf("agent: journal records t-%d (writing)\n", t);
                        AGENT_DIES("agent dies: journaled\n")
               :: else -> printf("agent: t-%d not written: a later try exists\n", t)
               fi
          :: else -> printf("agent: the journal has t-%d already\n", t)
          fi;
          if :: journal[t] == journal_writing -> finish_write(t) :: else -> skip fi;
          if
          :: journal[t] != journal_none && journal[t] != journal_writing -> acknowledge(t, tk)
          :: else -> skip
          fi;
#else
          /* BROKEN on purpose: _take_one without the journal check. Every hand-out is written again. */
          journal[t] = journal_writing; jtoken[t] = tk; printf("agent: journal records t-%d (writing)\n", t);
          AGENT_DIES("agent dies: journaled\n");
          staged[t] = 1; printf("agent: t-%d staged under a temporary name\n", t);
          AGENT_DIES("agent dies: staged\n");
          atomic { staged[t] = 0; outbox[t] = 1; printf("agent: t-%d renamed into OutBox\n", t) };
          AGENT_DIES("agent dies: renamed\n");
          journal[t] = journal_written;
          acknowledge(t, tk);
#endif
          agent_holds[n] = HOLDS_IN_JOURNAL(n)
     :: act == A_ANSWER -> forward_answer(t)
     :: act == A_RECEIPT -> forward_receipt(t)
     fi;
     d_step { act = 0; t = 0; n = 0; tk = 0; acked = 0; last = 0; unpark = 0; ok = 0; r = 0 }
  od
}
#endif

/* ============================================================================= end-of-run checks */

#define ALL_ISSUED_APPLIED \
  ((!issued[1] || rec_applied[1]) && (!issued[2] || rec_applied[2]) && \
   (!issued[3] || rec_applied[3]) && (!issued[4] || rec_applied[4]))
#define ANSWERED(s) (item[s] == send_none || item[s] == send_answered)
#if MAXSEND > 1
#define ALL_SENDS_ANSWERED (ANSWERED(1) && ANSWERED(2))
#else
#define ALL_SENDS_ANSWERED ANSWERED(1)
#endif
#define SETTLED (smart != smart_in_progress)

/* Once customs' last receipt is issued and every receipt is applied, the status is their join:
 * receipts applied in any order, and more than once, give one status. */
proctype Join() {
end:
  atomic {
    ALL_ISSUED_APPLIED && (issued[REC_R] || issued[REC_E]) ->
    assert(status == max_issued)
  }
}

/* Where every run ends: when no party can move any more (timeout), every send put was answered, the
 * declaration left 申报中, and every receipt customs issued was applied. With no cycle in the state
 * space (pan -l finds none), every run ends so: the liveness claim below then holds under any
 * fairness, and this is how the quick check shows it. */
proctype Final() {
  timeout -> assert(ALL_SENDS_ANSWERED && SETTLED && ALL_ISSUED_APPLIED)
}

/* The three liveness properties, checked as one claim (<>[] distributes over a conjunction, and one
 * run under fairness costs a third of three): every send put is eventually answered (accepted,
 * refused, card failure, gave up), the declaration eventually leaves 申报中 for good, and every
 * receipt customs issued is eventually applied (none lost). */
ltl eventually_done { <> [] (ALL_SENDS_ANSWERED && SETTLED && ALL_ISSUED_APPLIED) }

init {
  byte i;
  atomic {
    for (i : 0 .. MAXSEND) { item[i] = send_none; item_answer[i] = answer_none };
    for (i : 0 .. NTRY) { resp_kind[i] = answer_none };
    i = 0;
    run Engine(); run Clock(); run Final();
    run Submit(); run Submit();
#ifndef HTTP
    run Client(); run Agent();
#endif
#ifndef NO_RECEIPTS
    run Customs(); run Join()
#endif
  }
}
