// SPDX-License-Identifier: MIT
/*
 * patterns.c - THE rule table. Every detection the project makes is a row
 * here; nothing else in the tree holds a regex.
 *
 * Rules of the table (checked by tests/unit/test_patterns.c):
 *  - every match starts with one of the rule's literals (or, for lookback
 *    rules, contains one within `lookback` bytes of its start), so the
 *    prefilter decides where a regex may run;
 *  - every quantifier is bounded and no two adjacent quantified atoms can
 *    trade the same bytes back and forth, so a failing attempt costs at
 *    most a few hundred steps and matches stay under CS_SCAN_MAX_MATCH;
 *  - a token is delimited on both sides by bytes outside its alphabet,
 *    which keeps random base64 (images, certificates) from matching.
 */
#include "registry.h"

/* Bytes that may neither precede nor follow a token. */
#define TOK_START "(?<![A-Za-z0-9_+-])"
#define TOK_END "(?![A-Za-z0-9_+/-])"
/* A command word starts a shell word: "libcurl", "async ", "1.1.1nc " do not. */
#define CMD_START "(?<![A-Za-z0-9_.-])"
/* A file name ends where a path component would. */
#define PATH_END "(?![A-Za-z0-9_.-])"

const char *const cs_families[] = {
	"ai_api_key",	   "aws_access_key",	 "private_key_pem",  "ssh_key_file",
	"unix_sensitive",  "dotenv_file",	 "whatsapp_session", "pipe_to_shell",
	"shell_exec",	   "reverse_shell",	 "destructive_rm",   "ssh_key_inject",
	"messaging_token", "dev_platform_token", "payment_api_key",
};
const size_t cs_families_count = sizeof(cs_families) / sizeof(cs_families[0]);

#define LITS(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * NanoClaw keeps WhatsApp's Baileys multi-file auth state under store/auth/.
 * One alternative per file kind: extend the list here.
 */
#define BAILEYS_AUTH_FILES                                      \
	"creds\\.json"                                          \
	"|app-state-sync-key-[A-Za-z0-9_=+-]{1,128}\\.json"     \
	"|app-state-sync-version-[A-Za-z0-9_=+-]{1,128}\\.json" \
	"|pre-key-[0-9]{1,10}\\.json"                           \
	"|session-[A-Za-z0-9_.:@=+-]{1,128}\\.json"             \
	"|sender-key-[A-Za-z0-9_.:@=+-]{1,160}\\.json"          \
	"|sender-key-memory-[A-Za-z0-9_.:@=+-]{1,128}\\.json"
#define BAILEYS_AUTH_DIRS "(?:store/auth|auth_info_baileys|baileys_auth_info)"

/*
 * A shell word separator, including the ${IFS} and $IFS spellings that
 * smuggle a command past filters looking for spaces (curl${IFS}URL|sh).
 */
#define SP "(?:\\s|\\$\\{IFS\\}|\\$IFS(?![A-Za-z0-9_]))"
/* The same within one command: a newline ends it (c=curl<LF>echo $x | sh is no pipe). */
#define LINE_SP "(?:[ \\t]|\\$\\{IFS\\}|\\$IFS(?![A-Za-z0-9_]))"

/* A command's optional directory, and the shell and python names several rules share. */
#define BIN_DIR "(?:/usr/local/bin/|/usr/bin/|/bin/)?"
#define SH_NAME "(?:ba|z|da|k)?sh"
#define PYTHON_NAME "python[23]?(?:\\.[0-9]{1,2})?"
/* A command-line switch (-x, -lc, --long), its optional =value, a shell's -o NAME. */
#define SWITCH "-{1,2}[A-Za-z][A-Za-z-]{0,19}"
#define SWITCH_VALUE "(?:=[^\\s|;&]{0,64})?"
#define SET_OPTION "[-+]o" SP "{1,4}[a-z]{1,20}"

/*
 * Flags before the one a reader looks at: `bash -x -c`, `bash -o pipefail
 * -c`, `python3 -u -m`, `node --require=./hook.js -e`.
 */
#define FLAGS_BEFORE "(?:" SP "{1,4}(?:" SWITCH SWITCH_VALUE "|" SET_OPTION ")){0,4}" SP "{1,4}"
/* A script file given to the reader (a word, not a flag, naming a script). */
#define SCRIPT_FILE "(?!-)[^\\s|;&]{0,200}\\.(?:sh|bash|py|pl|rb|js|mjs|cjs)(?![A-Za-z0-9])"
/*
 * The reader's own program, by its flags: a cluster of switches that take
 * no argument ending in the one that gives the program (bash -lc, python
 * -uc, perl -lne; not python -Wignore or perl -Mstrict, which then read
 * the program from stdin), or a script file.
 */
#define OWN_PROGRAM(cluster) "(?![A-Za-z0-9_.-])(?!" FLAGS_BEFORE "(?:" cluster "|" SCRIPT_FILE "))"
/* Each reader's switch clusters that give it a program. */
#define SH_OWN OWN_PROGRAM("-[abefhiklmnprstuvxBCEHPT]{0,8}c")
#define PYTHON_OWN OWN_PROGRAM("-[bBdEhiIOqsSuvVx]{0,8}[cm]")
#define PERL_OWN OWN_PROGRAM("-[acnpsltTuUvwW0-9]{0,8}[eE]")
#define RUBY_OWN OWN_PROGRAM("-[acdlnpsvwyU]{0,8}e")
#define NODE_OWN OWN_PROGRAM("-[ip]{0,2}[ep](?![A-Za-z])|--(?:eval|print)(?![A-Za-z-])")
/*
 * A shell or interpreter that runs what it reads on stdin, not one given a
 * program of its own (bash -c '...', python3 -m json.tool, perl -ne,
 * node -e / --print, python3 fmt.py): then the download is only its data.
 */
#define SHELLS                                                                                    \
	BIN_DIR "(?:" SH_NAME SH_OWN "|" PYTHON_NAME PYTHON_OWN "|perl" PERL_OWN "|ruby" RUBY_OWN \
		"|node" NODE_OWN ")"

/*
 * Commands that run the next word as a program (sudo -E, /usr/bin/env
 * VAR=x, nohup), with their flags, one optional flag argument and
 * assignments: `| sudo -u root -E /usr/bin/env bash` still ends in a shell.
 */
#define RUNNER                                                                      \
	"(?:" BIN_DIR "(?:sudo|doas|env|nohup|exec|command|nice|stdbuf)" SP "{1,4}" \
	"(?:(?:" SWITCH SWITCH_VALUE "(?:" SP "{1,4}[a-z_][a-z0-9_-]{0,31})?"       \
	"|[A-Za-z_][A-Za-z0-9_]{0,31}=[^\\s|;&]{0,64})" SP "{1,4}){0,4})"

/*
 * A word the shell splices back together: empty quotes, quoted pieces and
 * backslashes between its letters (c''url, "cu"rl, c\\url, ba''sh). QB is
 * what may sit between two letters.
 */
#define QB "(?:''|\"\"|\\\\|[\"'])?"
/* A plain word with only a quote before it ("curl -s URL") is the plain rule's. */
#define SPLICED_DOWNLOAD                       \
	"(?![\"']?(?:curl|wget)(?![\"'\\\\]))" \
	"[\"']?(?:c" QB "u" QB "r" QB "l|w" QB "g" QB "e" QB "t)[\"']?"
/*
 * The first 4 bytes of every spliced spelling of curl and wget (a quote or
 * backslash at one or more of its gaps, or a quote before it): a word
 * spliced at several points starts like one spliced at its first.
 * Generated from the spellings, sorted.
 */
#define SPLICED_DOWNLOAD_STARTS                                                                   \
	"\"c\"\"", "\"c\"u", "\"c''", "\"c'u", "\"c\\u", "\"cu\"", "\"cu'", "\"cu\\", "\"cur",    \
		"\"w\"\"", "\"w\"g", "\"w''", "\"w'g", "\"w\\g", "\"wg\"", "\"wg'", "\"wg\\",     \
		"\"wge", "'c\"\"", "'c\"u", "'c''", "'c'u", "'c\\u", "'cu\"", "'cu'", "'cu\\",    \
		"'cur", "'w\"\"", "'w\"g", "'w''", "'w'g", "'w\\g", "'wg\"", "'wg'", "'wg\\",     \
		"'wge", "c\"\"u", "c\"u\"", "c\"u'", "c\"u\\", "c\"ur", "c''u", "c'u\"", "c'u'",  \
		"c'u\\", "c'ur", "c\\u\"", "c\\u'", "c\\u\\", "c\\ur", "cu\"\"", "cu\"r", "cu''", \
		"cu'r", "cu\\r", "cur\"", "cur'", "cur\\", "w\"\"g", "w\"g\"", "w\"g'", "w\"g\\", \
		"w\"ge", "w''g", "w'g\"", "w'g'", "w'g\\", "w'ge", "w\\g\"", "w\\g'", "w\\g\\",   \
		"w\\ge", "wg\"\"", "wg\"e", "wg''", "wg'e", "wg\\e", "wge\"", "wge'", "wge\\"
/* A spliced shell name: at least one quote or backslash in it (plain ones are SHELLS). */
#define SPLICED_SH                                                        \
	"(?=[a-z\"'\\\\]{2,16}(?![A-Za-z0-9_.-]))(?=[a-z]{0,3}[\"'\\\\])" \
	"[\"']?(?:b" QB "a" QB "|z" QB "|d" QB "a" QB "|k" QB ")?s" QB "h[\"']?(?![A-Za-z0-9_.-])"
/*
 * The end of a pipe into a shell: up to 3 filters that pass the script on
 * (tee, base64 -d, gunzip...), then the shell, through runners, maybe
 * spliced.
 */
#define INTO_SHELL                                                                    \
	"(?:\\|(?!\\|)[^\\n|;&]{0,200}+){0,3}\\|" SP "{0,4}" RUNNER "{0,3}(?:" SHELLS \
	"|" SPLICED_SH ")"

/*
 * A shell variable holding a download command: x=curl, X="curl -s URL",
 * X='wget -qO- URL' (VAR_NAME is group 1); then a later use of it as a
 * word ($X, ${X}, "$X").
 */
#define VAR_NAME "(?<![A-Za-z0-9_$])([A-Za-z_][A-Za-z0-9_]{0,31})="
#define VAR_DOWNLOAD                                                                \
	"(?:(?:curl|wget)(?![A-Za-z0-9_.-])|\"(?:curl|wget)" SP "[^\"\\n]{0,200}\"" \
	"|'(?:curl|wget)" SP "[^'\\n]{0,200}')"
/*
 * Where the plain pipe-to-shell rule takes the download word on (X="curl
 * -s URL"; $X | sh on one line), the variable rule stays silent: the same
 * line reaches a pipe into what starts like a shell or a runner. (The
 * whole of that rule twice makes the regex too large to compile.)
 */
#define PLAIN_PIPE                                                                          \
	"[\"']?(?:curl|wget)" LINE_SP                                                       \
	"{1,4}[^\\n|]{1,400}+(?:\\|(?!\\|)[^\\n|;&]{0,200}+){0,3}\\|" SP                    \
	"{0,4}(?:sudo|doas|env|nohup|exec|command|nice|stdbuf|/|[\"'\\\\]|(?:ba|z|da|k)?sh" \
	"|python|perl|ruby|node)"
/* What may come between the assignment and the use: a few lines. */
#define VAR_GAP "[\\s\\S]{0,300}?"
#define VAR_USE "(?<![A-Za-z0-9_\\\\])\"?\\$(?:\\{\\1\\}|\\1(?![A-Za-z0-9_]))\"?"
#define VAR_LITERALS "=curl", "=wget", "=\"curl", "=\"wget", "='curl", "='wget"

/* The interpreters a one-liner may run (python3 -c, node -e, perl -e, ruby -e, php -r). */
#define ONE_LINER                                                                             \
	BIN_DIR "(?:" PYTHON_NAME SP "{1,4}(?:-[A-Za-z]{0,3}" SP "{1,4}){0,2}-[A-Za-z]{0,3}c" \
		"|node" SP "{1,4}(?:-e|-p|--eval|--print)|(?:perl|ruby)" SP                   \
		"{1,4}-[A-Za-z]{0,3}[eE]"                                                     \
		"|php" SP "{1,4}-r)"

/* What may read a script from a file name: shells, interpreters, source and `.`. */
#define SCRIPT_RUNNER "(?:" BIN_DIR "(?:" SH_NAME "|" PYTHON_NAME "|perl|ruby|node|php)|source|\\.)"

/* sh -c, bash -lc, /bin/sh -c, bash -x -c, bash -o pipefail -c: up to the command string. */
#define SH_C_HEAD                                                                                 \
	"(?:(?<=ba|da)|(?<=[kz])|(?<![A-Za-z0-9_.-]))sh"                                          \
	"(?:" SP "{1,4}(?:" SWITCH "|" SET_OPTION ")){0,3}?" SP "-[A-Za-z]{0,3}c[A-Za-z]{0,3}" SP \
	"{1,4}"
/*
 * The command string (inside its quotes, or the one unquoted word sh -c
 * takes) reaching `what`: the string itself, never prose after it.
 */
#define SH_C_STRING(what) \
	"(?:\\\\?\"[^\"\\n]{0,300}?" what "|'[^'\\n]{0,300}?" what "|[^\\s\"']{0,300}?" what ")"
/*
 * A command string that builds, tests or lints (sh -c 'cd web && npm run
 * lint', bash -lc 'make check'): what an assistant runs all day.
 */
#define SH_C_BUILD                                                                                \
	"\\\\?[\"']?(?:cd" SP "{1,4}[^\\s;&|'\"]{1,100}" SP "{1,4}&&" SP "{1,4})?"                \
	"(?:(?:npm|pnpm|yarn|bun)" SP "{1,4}(?:run|test|ci|build|lint|t)"                         \
	"|cargo" SP "{1,4}(?:build|test|check|clippy|fmt)|go" SP "{1,4}(?:build|test|vet)"        \
	"|dotnet" SP "{1,4}(?:build|test)|make|pytest|tsc|eslint|prettier|gradle|mvn|jest|vitest" \
	"|python3?" SP "{1,4}-m" SP "{1,4}pytest)(?![A-Za-z0-9_.-])"
/* Prose about the switch ("run it through bash -c so globs expand"), not a command. */
#define SH_C_PROSE                                                                         \
	"(?:so|to|and|or|the|in|is|it|on|for|with|when|because|which|that|as|here|instead" \
	"|flag|option|switch)(?![A-Za-z0-9_])"
/* What turns a shell command string from suspicious into a payload. */
#define SH_C_PAYLOAD                              \
	"(?:curl|wget|\\$\\(|`|/dev/(?:tcp|udp)/" \
	"|base64" SP "{1,4}(?:-[A-Za-z]{0,3}[dD]|--decode))"

/*
 * What a destructive rm may target: the root, a top-level system directory
 * (/etc, /usr/, /home/ and its glob), or the home directory. Deeper paths
 * (/var/lib/apt/lists/..., /tmp/build, ~/.cache) are ordinary cleanups.
 */
#define RM_SYSTEM_DIR "(?:bin|boot|dev|etc|home|lib|lib32|lib64|opt|root|sbin|srv|usr|var)"
#define RM_TARGET                                           \
	"[\"']?(?:/(?:" RM_SYSTEM_DIR ")?/?\\*?/?"          \
	"|~/?\\*?|\\$HOME/?\\*?|\\$\\{HOME\\}/?\\*?)[\"']?" \
	"(?=$|[\\s;&|)\"'`]|\\$\\{IFS\\}|\\$IFS)"
/* An rm operand that is not the target (rm -rf build /etc): up to a separator. */
#define RM_OPERAND "(?:[^\\s;&|<>$]|\\$(?!\\{?IFS))"
#define RM_FLAG "(?:-{1,2}[A-Za-z-]{1,20}" SP "{1,4})"

/*
 * A quoted one-liner (-e '...', -c "...") reaching `what` before its closing
 * quote: the script itself, never the prose after it.
 */
#define QUOTED_UNTIL(what) "(?:'[^'\\n]{0,300}?" what "|\"[^\"\\n]{0,300}?" what ")"
/* Inside quote q: a socket, then what wires it to a shell. */
#define PY_SOCKET_SHELL(q)                                   \
	q "(?>[^" q "\\n]{0,300}?socket)[^" q "\\n]{0,300}?" \
	  "(?:connect|dup2|pty\\.spawn|subprocess)"

/* clang-format off */
const struct cs_rule cs_rules[] = {
	/* ---------------------------------------------------------- EXFIL */
	{
		.id = "anthropic_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Anthropic API, admin or OAuth key (sk-ant-api03/admin01/oat01/ort01)",
		.regex = TOK_START "sk-ant-(?:api03|admin01|oat01|ort01)-[A-Za-z0-9_-]{32,200}+" TOK_END,
		.literals = LITS("sk-ant-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "anthropic",
	},
	{
		.id = "openai_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "OpenAI key (sk-, sk-proj-, sk-svcacct-, sk-admin-) with the T3BlbkFJ marker",
		.regex = TOK_START "sk-(?:(?:proj|svcacct|admin)-)?"
			"[A-Za-z0-9_-]{16,200}T3BlbkFJ[A-Za-z0-9_-]{16,200}+" TOK_END,
		.literals = LITS("sk-"),
		.literal_next = "A-Za-z0-9",
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "openai",
	},
	{
		.id = "google_ai_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "Google AI / Gemini API key (AIza...)",
		.regex = TOK_START "AIza[0-9A-Za-z_-]{35}" TOK_END,
		.literals = LITS("AIza"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "google",
	},
	{
		.id = "groq_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Groq API key (gsk_)",
		.regex = TOK_START "gsk_[A-Za-z0-9]{52}" TOK_END,
		.literals = LITS("gsk_"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "groq",
	},
	{
		.id = "xai_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "xAI API key (xai-)",
		.regex = TOK_START "xai-[A-Za-z0-9]{70,100}+" TOK_END,
		.literals = LITS("xai-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "xai",
	},
	{
		.id = "openrouter_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "OpenRouter API key (sk-or-v1-)",
		.regex = TOK_START "sk-or-v1-[a-f0-9]{64}" TOK_END,
		.literals = LITS("sk-or-v1-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.0,
		.home = "openrouter",
	},
	{
		.id = "perplexity_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "Perplexity API key (pplx-)",
		.regex = TOK_START "pplx-[A-Za-z0-9]{40,60}+" TOK_END,
		.literals = LITS("pplx-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "perplexity",
	},
	{
		.id = "huggingface_token",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "Hugging Face user or org token (hf_, api_org_; letters and digits)",
		.regex = TOK_START "(?:hf_|api_org_)[A-Za-z0-9]{34}" TOK_END,
		.literals = LITS("hf_", "api_org_"),
		.literal_next = "A-Za-z0-9",
		.secret_group = 0,
		.keep_prefix = 3,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "huggingface",
	},
	{
		.id = "replicate_api_token",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "Replicate API token (r8_)",
		.regex = TOK_START "r8_[A-Za-z0-9]{37}" TOK_END,
		.literals = LITS("r8_"),
		.literal_next = "A-Za-z0-9",
		.secret_group = 0,
		.keep_prefix = 3,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "replicate",
	},
	{
		.id = "bedrock_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Amazon Bedrock API key: long-term ABSK + base64(\"BedrockAPIKey-\"), "
			"short-term bedrock-api-key- + base64(\"bedrock.amazonaws.com/...\")",
		.regex = "(?:" TOK_START "ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{60,300}+={0,2}" TOK_END
			"|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{20,900}+)",
		.literals = LITS("ABSKQmVkcm9ja0FQSUtleS", "bedrock-api-key-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.redact_after = true,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "aws",
	},
	{
		.id = "named_ai_api_key",
		.family = "ai_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "DeepSeek, Mistral or Cohere key assigned to a name that says so "
			"(DEEPSEEK_API_KEY=sk-..., mistralKey: ..., cohere_token = ..., CO_API_KEY)",
		/*
		 * Their keys have no shape of their own: the name says what they
		 * are. The provider, then up to 20 name bytes ending in key, token
		 * or secret (not cohere_commit_sha), then =, :, := or an XML tag's >.
		 */
		.regex = "(?:(?i:deepseek|mistral|cohere)[A-Za-z0-9_.-]{0,20}?(?i:key|token|secret)"
			"|(?<![A-Za-z0-9])(?i:co_?api_?key))"
			"[\"']?\\s{0,4}(?::=|[=:>])\\s{0,4}[\"']?"
			"((?:sk-)?[A-Za-z0-9]{32,64})(?![A-Za-z0-9_-])",
		.literals = LITS("DEEPSEEK", "deepseek", "Deepseek", "DeepSeek", "deepSeek",
			"MISTRAL", "mistral", "Mistral", "COHERE", "cohere", "Cohere",
			"CO_API", "co_api", "coApi", "CoApi"),
		.secret_group = 1,
		.keep_prefix = 0,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
	},
	{
		.id = "aws_access_key_id",
		.family = "aws_access_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "AWS access key id (AKIA, ASIA, ABIA, ACCA, A3T)",
		/*
		 * A '/' may follow (an S3 path, a key id in a URL); the one a
		 * SigV4 Credential= names is the next rule's.
		 */
		.regex = TOK_START "(?<!Credential=)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"
			"(?![A-Za-z0-9_+-])",
		.literals = LITS("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
		.literal_next = "A-Z0-9",
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.0,
	},
	{
		.id = "aws_sigv4_credential",
		.family = "aws_access_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "AWS access key id in a SigV4 Credential= (Authorization header, "
			"X-Amz-Credential query)",
		.regex = "Credential=((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?=/)",
		.literals = LITS("Credential="),
		.secret_group = 1,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.0,
		.home = "aws",
	},
	{
		.id = "aws_secret_access_key",
		.family = "aws_access_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "AWS secret access key assigned to its well-known name "
			"(AWS_SECRET_ACCESS_KEY=, secretAccessKey:, aws_secret_access_key :=)",
		.regex = "(?i:(?:aws_?)?secret_?access_?key)[\"']?\\s{0,4}(?::=|[=:>])\\s{0,4}[\"']?"
			"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
		.literals = LITS("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "awsSecretAccessKey",
			"AwsSecretAccessKey", "secretAccessKey", "SecretAccessKey", "secret_access_key",
			"SECRET_ACCESS_KEY"),
		.secret_group = 1,
		.keep_prefix = 0,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
	},
	{
		.id = "pem_private_key",
		.family = "private_key_pem",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "PEM private key (RSA, EC, DSA, OPENSSH, PKCS#8, encrypted, PGP)",
		.regex = "-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
			/*
			 * Key material must follow (after PEM or armor headers such as
			 * Proc-Type: or Version:): a bare header, as documentation
			 * quotes it, is no secret.
			 */
			/* Lines may be indented (a YAML block scalar, a heredoc in a script). */
			"(?:\\r?\\n[ \\t]{0,16}| ){0,2}"
			"(?:[A-Za-z-]{1,32}: [^\\r\\n]{0,128}\\r?\\n[ \\t]{0,16}){0,4}(?:\\r?\\n[ \\t]{0,16})?"
			"([A-Za-z0-9+/=]{16,64}+)",
		.literals = LITS("-----BEGIN "),
		.secret_group = 1,
		.keep_prefix = 0,
		.redact_after = true,
	},
	{
		.id = "pem_private_key_base64",
		.family = "private_key_pem",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "base64 of a PEM private key (as `base64 ~/.ssh/id_rsa` prints it)",
		.regex = "LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,120}+",
		.literals = LITS("LS0tLS1CRUdJTi"),
		.secret_group = 0,
		.keep_prefix = 4,
		.redact_after = true,
		.validators = CS_VAL_PEM_B64,
	},
	{
		.id = "putty_private_key",
		.family = "private_key_pem",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "PuTTY private key file",
		.regex = "PuTTY-User-Key-File-[23]: [a-z0-9-]{3,40}",
		.literals = LITS("PuTTY-User-Key-File-"),
		.secret_group = CS_SECRET_NONE,
		.redact_after = true,
	},
	{
		.id = "ssh_dir_file",
		.family = "ssh_key_file",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a file inside an .ssh directory (~/.ssh/id_*, /home/*/.ssh/..., /root/.ssh/...)",
		.regex = "/\\.ssh/(?!(?:[A-Za-z0-9_.-]{0,64}\\.pub|known_hosts|authorized_keys2?)"
			PATH_END ")[A-Za-z0-9_.-]{1,64}+",
		.literals = LITS("/.ssh/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "ssh_dir",
		.family = "ssh_key_file",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a whole .ssh directory (tar ~/.ssh, /root/.ssh)",
		.regex = "(?:~|\\$HOME|\\$\\{HOME\\}|/root|/home/[A-Za-z0-9_.-]{1,32})"
			"/\\.ssh(?!/?[A-Za-z0-9_.-])/?",
		.literals = LITS("~/.ssh", "$HOME/.ssh", "${HOME}/.ssh",
			"/root/.ssh", "/home/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "unix_shadow_sudoers",
		.family = "unix_sensitive",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "password hashes and privilege files (/etc/shadow, /etc/gshadow, /etc/sudoers...)",
		.regex = "/etc/(?:g?shadow-?|sudoers(?:\\.d(?:/[A-Za-z0-9_.-]{1,64})?)?"
			"|master\\.passwd|security/opasswd"
			"|ssh/ssh_host_[a-z0-9]{1,16}_key(?!\\.))(?![A-Za-z0-9_])",
		.literals = LITS("/etc/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "proc_environ",
		.family = "unix_sensitive",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a process's environment or memory (/proc/*/environ, /proc/self/mem)",
		.regex = "/proc/(?:self|thread-self|[0-9]{1,10}|\\*)/(?:task/[0-9]{1,10}/)?"
			"(?:environ|mem)(?![A-Za-z0-9_])",
		.literals = LITS("/proc/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "dotenv_path",
		.family = "dotenv_file",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a .env file by path (/app/.env, ./.env.production); not .env.example",
		.regex = "/\\.env(?:\\.(?!(?:example|sample|template|dist|defaults)" PATH_END ")"
			"[A-Za-z0-9_-]{1,20})?" PATH_END,
		.literals = LITS("/.env"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "dotenv_named",
		.family = "dotenv_file",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a .env file quoted as a file name or read by a command (\".env\", cat .env)",
		.regex = "(?:[\"'`]\\.env(?:\\.[A-Za-z0-9_-]{1,20})?[\"'`]"
			"|(?:cat|less|more|head|tail|base64|xxd|source) \\.env" PATH_END ")",
		.literals = LITS("\".env", "'.env", "`.env", "cat .env",
			"less .env", "more .env", "head .env", "tail .env",
			"base64 .env", "xxd .env", "source .env"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "cloud_credentials_path",
		.family = "dotenv_file",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_HIGH,
		.description = "cloud and tool credential files (~/.aws, gcloud ADC, ~/.azure, "
			"~/.kube, ~/.docker, ~/.npmrc, ~/.netrc)",
		.regex = "(?:/\\.aws/(?:credentials|config)"
			"|application_default_credentials\\.json"
			"|/gcloud/(?:credentials\\.db|access_tokens\\.db|legacy_credentials)"
			"|/\\.azure(?:/[A-Za-z0-9_.-]{1,64})?"
			"|/\\.kube/config"
			"|/\\.docker/config\\.json"
			"|/\\.(?:npmrc|netrc|git-credentials|pgpass|pypirc))" PATH_END,
		.literals = LITS("/.aws/", "application_default_credentials",
			"/gcloud/", "/.azure", "/.kube/", "/.docker/",
			"/.npmrc", "/.netrc", "/.git-credentials",
			"/.pgpass", "/.pypirc"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "baileys_auth_file",
		.family = "whatsapp_session",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "NanoClaw WhatsApp (Baileys) auth state: store/auth/creds.json, keys, sessions",
		.regex = BAILEYS_AUTH_DIRS "(?:/(?:" BAILEYS_AUTH_FILES
			")|/?(?=[\\s\"'`|;,)\\]]|$))",
		.literals = LITS("store/auth", "auth_info_baileys",
			"baileys_auth_info"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "baileys_creds_content",
		.family = "whatsapp_session",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "the body of a Baileys creds.json (noise, identity and ADV secret keys)",
		.regex = "\"(?:noiseKey|signedIdentityKey)\"\\s{0,4}:\\s{0,4}\\{\\s{0,4}\"private\""
			"|\"advSecretKey\"\\s{0,4}:\\s{0,4}\"",
		.literals = LITS("\"noiseKey\"",
			"\"signedIdentityKey\"", "\"advSecretKey\""),
		.secret_group = CS_SECRET_NONE,
		.redact_after = true,
	},
	{
		.id = "telegram_bot_token",
		.family = "messaging_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Telegram bot token (<bot id>:AA..., as in /bot<token>/sendMessage)",
		/* Anchored at the colon: the bot id before it (8-10 digits) is public. */
		.regex = "(?<=(?<![0-9])[0-9]{8}|(?<![0-9])[0-9]{9}|(?<![0-9])[0-9]{10})"
			":(AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])",
		.literals = LITS(":AA"),
		.literal_next = "A-Za-z0-9_-",
		.secret_group = 1,
		.keep_prefix = 2,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "telegram",
	},
	{
		.id = "slack_token",
		.family = "messaging_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Slack bot, user or app-level token (xoxb-, xoxp-, xoxe-, xapp-; "
			"older bot tokens with one number)",
		.regex = TOK_START "(?:xox[bpe]-[0-9]{8,14}-(?:[0-9]{8,14}-){0,2}[A-Za-z0-9]{24,64}+"
			"|xapp-[0-9]-[A-Z0-9]{8,12}-[0-9]{8,14}-[a-f0-9]{32,64}+)" TOK_END,
		.literals = LITS("xoxb-", "xoxp-", "xoxe-", "xapp-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.0,
		.home = "slack",
	},
	{
		.id = "discord_bot_token",
		.family = "messaging_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Discord bot token (base64 of the bot's numeric id, a timestamp, an HMAC) "
			"after Bot or Bearer, a DISCORD... or token name, client.login( or bot.run(",
		/*
		 * Its shape alone needs hundreds of literals (the id's base64 has
		 * 400 four-byte starts), so the places a token is written anchor it
		 * and the validator checks that the first part decodes to an id.
		 */
		.regex = "(?:(?:Bot|Bearer)\\s{1,4}"
			"|(?i:discord)[A-Za-z0-9_]{0,24}[\"']?\\s{0,4}(?::=|[=:>])\\s{0,4}[\"']?(?:Bot\\s{1,4})?"
			"|(?i:token)[\"']?\\s{0,4}(?::=|[=:>])\\s{0,4}[\"']?"
			"|login\\(\\s{0,4}[\"']|\\.run\\(\\s{0,4}[\"'])"
			"([MNO][A-Za-z0-9_-]{22,27}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])",
		.literals = LITS("Bot ", "Bearer", "discord", "Discord", "DISCORD", "token", "Token",
			"TOKEN", "login(", ".run("),
		.secret_group = 1,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST | CS_VAL_SNOWFLAKE,
		.min_entropy = 3.5,
		.home = "discord",
	},
	{
		.id = "github_token",
		.family = "dev_platform_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_); "
			"a wrong checksum (ghp_ and the others) is reported at most medium",
		.regex = TOK_START "(?:gh[pousr]_[A-Za-z0-9]{36}"
			"|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" TOK_END,
		.literals = LITS("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST | CS_VAL_GITHUB_CRC,
		.min_entropy = 3.5,
		.home = "github",
	},
	{
		.id = "gitlab_token",
		.family = "dev_platform_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "GitLab personal access token (glpat-)",
		.regex = TOK_START "glpat-[A-Za-z0-9_-]{20,64}+(?:\\.[A-Za-z0-9_-]{1,20}){0,2}" TOK_END,
		.literals = LITS("glpat-"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "gitlab",
	},
	{
		.id = "npm_token",
		.family = "dev_platform_token",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "npm access token (npm_)",
		.regex = TOK_START "npm_[A-Za-z0-9]{36}" TOK_END,
		.literals = LITS("npm_"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "npm",
	},
	{
		.id = "stripe_live_key",
		.family = "payment_api_key",
		.threat = CS_THREAT_EXFIL,
		.dir = CS_DIR_OUTBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "Stripe live secret or restricted key (sk_live_, rk_live_)",
		.regex = TOK_START "(?:sk|rk)_live_[A-Za-z0-9]{24,247}+" TOK_END,
		.literals = LITS("sk_live_", "rk_live_"),
		.secret_group = 0,
		.keep_prefix = 4,
		.validators = CS_VAL_ENTROPY | CS_VAL_ALLOWLIST,
		.min_entropy = 3.5,
		.home = "stripe",
	},
	/* ------------------------------------------------------ INJECTION */
	{
		.id = "download_pipe_shell",
		.family = "pipe_to_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "curl/wget output piped into a shell or interpreter, directly or "
			"through filters (curl -fsSL URL | bash, curl URL | base64 -d | sh)",
		/* Up to 3 stages in between (tee, base64 -d, gunzip...): they pass the script on. */
		/*
		 * The download names something (a URL, host, flag or variable), so a
		 * table row "| curl | HTTP client | bash |" is not a pipeline.
		 */
		.regex = CMD_START "(?:curl|wget)" LINE_SP "{1,4}(?=[^\\n|]{0,400}[./:$-])[^\\n|]{1,400}+"
			INTO_SHELL,
		.literals = LITS("curl", "wget"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "spliced_download_pipe_shell",
		.family = "pipe_to_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a download command spelled with quotes or backslashes the shell "
			"removes, at one or more points, piped into a shell (c''url URL | ba''sh, "
			"c''u''rl, c\"u\"r\"l\" URL | b\\a\\s\\h)",
		.regex = SPLICED_DOWNLOAD LINE_SP "{1,4}(?=[^\\n|]{0,400}[./:$-])[^\\n|]{1,400}+"
			INTO_SHELL,
		.literals = LITS(SPLICED_DOWNLOAD_STARTS),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "variable_download_pipe_shell",
		.family = "pipe_to_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a download command held in a shell variable, run into a shell "
			"(c=curl; $c -s URL | sh, X=\"curl -s URL\" then $X | bash)",
		.regex = VAR_NAME "(?!" PLAIN_PIPE ")" VAR_DOWNLOAD VAR_GAP VAR_USE "[^\\n|]{0,300}+"
			INTO_SHELL,
		.literals = LITS(VAR_LITERALS),
		.lookback = 40,
		.reach = 960,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "one_liner_download",
		.family = "pipe_to_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "an interpreter running a download as its program "
			"(python3 -c \"$(curl URL)\", node -e \"$(curl URL)\", perl -e \"$(wget -qO- URL)\")",
		.regex = CMD_START ONE_LINER SP "{1,4}\\\\?[\"']?(?:\\$\\(|`)" SP "{0,4}(?:curl|wget)" SP,
		.literals = LITS("$(curl", "$(wget", "`curl", "`wget", "$( curl", "$( wget"),
		.lookback = 96,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "shell_process_substitution",
		.family = "pipe_to_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a download run through process substitution "
			"(bash <(curl URL), python3 <(curl URL), source <(wget -qO- URL))",
		.regex = CMD_START SCRIPT_RUNNER "(?:" SP "{1,4}" SWITCH "){0,3}"
			SP "{1,4}<\\(" SP "{0,4}(?:curl|wget)" SP,
		.literals = LITS("<(curl", "<(wget", "<( curl", "<( wget"),
		.lookback = 64,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "shell_dash_c_payload",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a shell command string that downloads, substitutes a command, "
			"decodes base64 or opens /dev/tcp (bash -c \"$(curl URL)\")",
		.regex = SH_C_HEAD SH_C_STRING(SH_C_PAYLOAD),
		.literals = LITS("sh -", "sh${IFS}", "sh$IFS"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "spliced_shell_dash_c_payload",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_HIGH,
		.description = "a shell name spelled with quotes or backslashes the shell removes, "
			"given a command string that downloads, substitutes or decodes "
			"(b\\a\\s\\h -c \"$(curl URL)\", ba\"sh\" -c)",
		/* Found from the end of the name: -c follows it, the splices precede. */
		.regex = "(?<![A-Za-z0-9_.\\\\-])" SPLICED_SH "(?:" SP "{1,4}(?:" SWITCH "|" SET_OPTION
			")){0,3}?" SP "{1,4}-[A-Za-z]{0,3}c[A-Za-z]{0,3}" SP "{1,4}" SH_C_STRING(SH_C_PAYLOAD),
		.literals = LITS("h -c", "h -l", "h -x", "h -e", "h' -", "h\" -"),
		.lookback = 24,
		.reach = 400,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "variable_download_eval",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_HIGH,
		.description = "eval of a shell variable that holds a download command "
			"(X=\"curl -s URL\"; eval \"$X\")",
		.regex = VAR_NAME VAR_DOWNLOAD VAR_GAP CMD_START "eval" SP "{1,4}" VAR_USE,
		.literals = LITS(VAR_LITERALS),
		.lookback = 40,
		.reach = 960,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "shell_dash_c",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_MEDIUM,
		.description = "a shell run with a plain command string (sh -c 'ls', bash -c, /bin/sh -c)",
		.regex = SH_C_HEAD "(?!" SH_C_STRING(SH_C_PAYLOAD) ")(?!" SH_C_BUILD ")(?!" SH_C_PROSE ")"
			"[\"'$`(A-Za-z/.\\\\]",
		.literals = LITS("sh -", "sh${IFS}", "sh$IFS"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "shell_dash_c_build",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_LOW,
		.description = "a shell running a build, test or lint command with no payload "
			"(sh -c 'cd web && npm run lint')",
		.regex = SH_C_HEAD "(?!" SH_C_STRING(SH_C_PAYLOAD) ")" SH_C_BUILD,
		.literals = LITS("sh -", "sh${IFS}", "sh$IFS"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "eval_command_substitution",
		.family = "shell_exec",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_HIGH,
		.description = "eval of a command substitution (eval \"$(...)\")",
		.regex = CMD_START "eval" SP "{1,4}(?:\\\\?[\"'])?(?:\\$\\(|`)",
		.literals = LITS("eval ", "eval${IFS}", "eval$IFS"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "dev_tcp",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "bash network redirection (/dev/tcp/HOST/PORT)",
		.regex = "/dev/(?:tcp|udp)/[A-Za-z0-9.:-]{1,253}+/[0-9]{1,5}",
		.literals = LITS("/dev/tcp/", "/dev/udp/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "netcat_exec",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "netcat or ncat executing a program (nc -e, ncat --exec)",
		.regex = CMD_START "(?:nc|ncat|netcat)(?:\\.traditional|\\.openbsd)?" SP
			"(?:[-A-Za-z0-9_.:/]{1,64}+" SP "{1,4}+){0,4}?"
			"(?:-[A-Za-z]{0,4}e|-c|--exec|--sh-exec|--lua-exec)" SP "{1,4}[\"']?"
			"(?:/[A-Za-z0-9_./-]{1,40}|(?:ba|z|da)?sh|cmd(?:\\.exe)?|powershell|python[0-9.]{0,4})"
			"(?![A-Za-z0-9_-])",
		.literals = LITS("nc ", "nc${IFS}", "nc$IFS", "ncat", "netcat"),
		.literal_next = "-0-9A-Za-z",
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "fifo_netcat",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a named pipe wired to a network client and back (mkfifo f; ... | nc ... >f)",
		.regex = CMD_START "(?:mkfifo|mknod)" SP "{1,4}([A-Za-z0-9_./-]{1,64}+)[^\\n]{0,200}?[|;&]\\s{0,4}"
			"(?:nc|ncat|netcat|telnet|openssl\\s{1,4}s_client)\\s[^\\n]{0,100}?[<>]\\s{0,2}\\1",
		.literals = LITS("mkfifo", "mknod"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "socat_exec",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "socat connecting a program to the network (socat ... exec:)",
		.regex = CMD_START "socat" SP "[^\\n|;&]{0,200}?(?i:exec|system):",
		.literals = LITS("socat"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "python_socket_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "python -c one-liner with a socket wired to a shell",
		.regex = CMD_START "python[0-9.]{0,4}" SP "{1,4}-c" SP "{1,4}"
			"(?:" PY_SOCKET_SHELL("'") "|" PY_SOCKET_SHELL("\"") ")",
		.literals = LITS("python"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "pty_spawn_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_HIGH,
		.description = "python pty.spawn of a shell (interactive shell upgrade)",
		.regex = "pty\\.spawn\\(\\s{0,4}[\"'](?:/usr/bin/|/bin/)?(?:ba|z|da)?sh[\"']",
		.literals = LITS("pty.spawn("),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "perl_php_ruby_socket_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "perl/php/ruby one-liner opening a socket (perl -e socket, "
			"php -r fsockopen, ruby -rsocket)",
		.regex = CMD_START
			"(?:perl\\s{1,4}(?:-[A-Za-z:]{1,12}\\s{1,4}){0,3}-e\\s{1,4}"
			QUOTED_UNTIL("(?i:socket)")
			"|php\\s{1,4}-r\\s{1,4}" QUOTED_UNTIL("fsockopen\\s{0,4}\\(")
			"|ruby\\s{1,4}(?:-rsocket|-e\\s{1,4}" QUOTED_UNTIL("TCPSocket") "))",
		.literals = LITS("perl ", "php ", "ruby "),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "shell_pipe_netcat",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a shell piped into a network client (bash -i 2>&1 | nc HOST PORT)",
		.regex = CMD_START BIN_DIR SH_NAME "(?:" SP "{1,4}(?:-[A-Za-z]{1,3}|[0-9]?[<>]&[0-9]))"
			"{0,4}" SP "{0,4}\\|" SP "{0,4}(?:nc|ncat|netcat|telnet)(?:\\.traditional|\\.openbsd)?"
			"(?![A-Za-z0-9_.-])",
		.literals = LITS("| nc", "|nc ", "| ncat", "|ncat", "| netcat", "|netcat",
			"| telnet", "|telnet", "|${IFS}nc", "|$IFS"),
		.lookback = 64,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "netcat_pipe_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a network client piped into a shell (nc HOST PORT | /bin/sh)",
		.regex = CMD_START "(?:nc|ncat|netcat|telnet)(?:\\.traditional|\\.openbsd)?" SP
			"[^\\n|;&]{1,120}+\\|" SP "{0,4}" BIN_DIR SH_NAME "(?:" SP "{1,4}-i)?"
			"(?![A-Za-z0-9_.-])(?!" SP "{1,4}-[A-Za-z]{0,3}c)",
		.literals = LITS("nc ", "nc${IFS}", "nc$IFS", "ncat", "netcat", "telnet"),
		.literal_next = "-0-9A-Za-z",
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "fifo_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a named pipe feeding a shell (mkfifo f; sh -i < f ...; mknod f p; "
			"cat f | sh)",
		.regex = CMD_START "(?:mkfifo(?:" SP "{1,4}-m" SP "{0,4}[0-7]{3,4})?" SP
			"{1,4}([A-Za-z0-9_./-]{1,64}+)"
			"|mknod" SP "{1,4}([A-Za-z0-9_./-]{1,64}+)" SP "{1,4}p(?![A-Za-z0-9]))"
			"[^\\n]{0,200}?(?<![A-Za-z0-9_.-])"
			"(?:" BIN_DIR SH_NAME "(?:" SP "{1,4}-[A-Za-z]{1,3}){0,2}" SP "{0,4}0?<" SP
			"{0,2}(?:\\1|\\2)(?![A-Za-z0-9_./-])"
			"|cat" SP "{1,4}(?:\\1|\\2)" SP "{0,4}\\|" SP "{0,4}" BIN_DIR SH_NAME
			"(?![A-Za-z0-9_.-]))",
		.literals = LITS("mkfifo", "mknod"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "fd_redirect_shell",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "a shell whose input and output are one inherited descriptor "
			"(sh -i <&3 >&3 2>&3: a socket opened before)",
		.regex = CMD_START BIN_DIR SH_NAME "(?:" SP "{1,4}-[A-Za-z]{1,3}){0,2}" SP "{1,4}"
			"(?:0?<&" SP "{0,2}([3-9]|[1-9][0-9]{1,2})(?![0-9])" SP "{1,4}1?>&" SP "{0,2}\\1"
			"|1?>&" SP "{0,2}([3-9]|[1-9][0-9]{1,2})(?![0-9])" SP "{1,4}0?<&" SP "{0,2}\\2)"
			"(?![0-9])",
		/* Every such shell reads its input from the descriptor: <&N, N >= 3. */
		.literals = LITS("<&3", "<&4", "<&5", "<&6", "<&7", "<&8", "<&9", "<&10", "<&11",
			"<&12", "<&13", "<&14", "<&15", "<&16", "<&17", "<&18", "<&19", "<&20",
			"<&21", "<&22", "<&23", "<&24", "<&25", "<&26", "<&27", "<&28", "<&29"),
		.literal_next = "0-9 \t>&;$\"'",
		.lookback = 48,
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "awk_inet_socket",
		.family = "reverse_shell",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "gawk's network special file (/inet/tcp/0/HOST/PORT): awk as a "
			"reverse shell",
		.regex = "/inet[46]?/(?:tcp|udp)/[0-9]{1,5}/[A-Za-z0-9.:-]{1,253}+/[0-9]{1,5}",
		.literals = LITS("/inet/tcp/", "/inet/udp/", "/inet4/", "/inet6/"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "rm_rf_root_or_home",
		.family = "destructive_rm",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "recursive rm of /, a top-level system directory (/etc, /home/*), ~ or $HOME, "
			"or with --no-preserve-root",
		.regex = CMD_START "rm" SP "{1,4}(?:"
			RM_FLAG "{0,3}?(?:-[A-Za-z]{0,7}[rR][A-Za-z]{0,7}|--recursive)" SP "{1,4}"
			RM_FLAG "{0,3}(?:" RM_OPERAND "{1,128}+" SP "{1,4}){0,3}" RM_TARGET
			"|[^\\n]{0,100}?--no-preserve-root)",
		.literals = LITS("rm -", "rm${IFS}", "rm$IFS"),
		.secret_group = CS_SECRET_NONE,
	},
	{
		.id = "authorized_keys_write",
		.family = "ssh_key_inject",
		.threat = CS_THREAT_INJECTION,
		.dir = CS_DIR_INBOUND,
		.severity = CS_SEV_CRITICAL,
		.description = "key material appended or written to authorized_keys "
			"(>> ~/.ssh/authorized_keys, tee -a)",
		.regex = "(?:>{1,2}|" CMD_START "tee" SP "{1,4}(?:-a" SP "{1,4}|--append" SP "{1,4})?)"
			"\\s{0,4}[\"']?(?:[^\\s\"'|;&<>]{0,140}/)?authorized_keys2?" PATH_END,
		.literals = LITS("authorized_keys"),
		.lookback = 192,
		.secret_group = CS_SECRET_NONE,
	},
};
/* clang-format on */
const size_t cs_rules_count = sizeof(cs_rules) / sizeof(cs_rules[0]);
