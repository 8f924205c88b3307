# chrome_trace.jq - the Chrome trace event format (JSON object form, as
# Perfetto and chrome://tracing read it), checked record by record; used by
# the tests/obs suites as `jq -e -f chrome_trace.jq FILE`: true, or false
# (exit 1 under -e) with the first records that break a rule on stderr.
#   top level: an object with a traceEvents array; displayTimeUnit ms|ns;
#              otherData an object
#   every record: name a string, ph one of the phases below, pid and tid
#              integers; ts a number >= 0 (but metadata)
#   X: dur >= 0     i: s one of g p t     C: args an object of numbers
#   s / f: id, and one name and cat per id (that is how viewers pair them;
#          f binds to its enclosing slice with bp "e")
#   M: process_name / thread_name with args.name a string
#   args, when present, an object
def int: type == "number" and . == floor;
def bad($why): {why: $why, record: .};
def check_rec:
  if (.name | type) != "string" then bad("name is not a string")
  elif (.ph | type) != "string" or ([.ph] | inside(["X","B","E","i","I","C","s","t","f","M"]) | not)
    then bad("unknown ph")
  elif (.pid | int | not) or (.tid | int | not) then bad("pid/tid not integers")
  elif .ph != "M" and ((.ts | type) != "number" or .ts < 0) then bad("ts not a number >= 0")
  elif has("args") and (.args | type) != "object" then bad("args not an object")
  elif .ph == "X" and ((.dur | type) != "number" or .dur < 0) then bad("X without dur >= 0")
  elif (.ph == "i" or .ph == "I") and has("s") and ([.s] | inside(["g","p","t"]) | not)
    then bad("instant scope not g/p/t")
  elif .ph == "C" and ((.args | type) != "object" or (.args | length) == 0
                       or ([.args[] | type] | all(. == "number") | not))
    then bad("counter args not numbers")
  elif (.ph == "s" or .ph == "f" or .ph == "t") and (has("id") | not) then bad("flow event without id")
  elif .ph == "f" and has("bp") and .bp != "e" then bad("flow end bp not e")
  elif .ph == "M" and ((.name == "process_name" or .name == "thread_name") and
                       ((.args.name | type) != "string"))
    then bad("metadata without args.name")
  else empty end;
def fail($x): ($x | debug) | false;
if type != "object" or (.traceEvents | type) != "array" then fail("no traceEvents array")
elif has("displayTimeUnit") and ([.displayTimeUnit] | inside(["ms","ns"]) | not)
  then fail("bad displayTimeUnit")
elif has("otherData") and (.otherData | type) != "object" then fail("otherData not an object")
else
  ([.traceEvents[] | check_rec] + 
   ([.traceEvents[] | select(.ph == "s" or .ph == "f") | {id, name, cat}] | group_by(.id)
    | map(select((map({name, cat}) | unique | length) > 1))
    | map({why: "one flow id with two names or categories", record: .[0]}))) as $bad
  | if ($bad | length) > 0 then fail($bad[:3]) else true end
end
