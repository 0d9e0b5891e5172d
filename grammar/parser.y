/* parser.y — the .cnn grammar. Actions are one-line calls into ast.c.
 *
 * Recovery: a bad statement is skipped to its ';' (or the closing '}') so
 * one run reports every syntax error. Messages are ours (parse.error custom):
 * "expected ';' after the layer statement, found 'relu'". */
%define api.pure full
%define api.prefix {cnn}
%define parse.error custom
%locations
%param {yyscan_t scanner}
%parse-param {Program *prog}

%code requires {
#include "cnnc.h"
typedef void *yyscan_t;
/* what the lexer remembers for the parser's messages */
struct LexState {
    int depth; bool deep_reported;   /* list nesting */
    int prev_line, prev_col;         /* just past the token before the current one */
    int end_line, end_col;           /* just past the current token */
    char text[40];                   /* the current token's text (cut) */
    char stmt[16];                   /* the first word of the current statement */
    bool at_start;                   /* the next token starts a statement */
};
struct LexState *cnnget_extra(yyscan_t scanner);
}

%code {
#include <string.h>
int cnnlex(CNNSTYPE *lval, CNNLTYPE *lloc, yyscan_t scanner);
static void cnnerror(CNNLTYPE *loc, yyscan_t scanner, Program *prog, const char *msg);
static Loc L(CNNLTYPE l) {
    int len = l.last_line == l.first_line ? l.last_column - l.first_column : 1;
    return (Loc){l.first_line, l.first_column, len > 0 ? len : 1};
}
}

%union {
    const char *s;
    bool b;
    Value *v;
    Stmt *st;
}

%token NETWORK "'network'" INPUT "'input'" OUTPUT "'output'" WEIGHTS "'weights'"
%token <s> IDENT "identifier" INT "integer" FLOAT "number" STRING "string"
%token <b> BOOL "true or false"
%token ERROR "invalid token"
%token END 0 "end of file"

%type <v> value number items dims
%type <st> layer layer_head args outputs

%%

/* program: 'network' NAME '{' stmt* '}' */
program
    : network_head stmts '}'
    | network_head stmts END        { diag_error(L(@3), "expected '}' at the end of the network"); }
    | error
    ;

network_head
    : NETWORK IDENT '{'             { ast_program(prog, $2, L(@2)); }
    ;

stmts
    : %empty
    | stmts stmt
    ;

/* stmt: input NAME '[' dims ']' ';' | output NAME {',' NAME} ';' | weights STRING ';' | layer ';' */
stmt
    : INPUT IDENT '[' dims ']' ';'  { ast_add_stmt(prog, ast_input(L(@1), $2, L(@2), $4)); }
    | outputs ';'                   { ast_add_stmt(prog, $1); }
    | WEIGHTS STRING ';'            { ast_add_stmt(prog, ast_weights(L(@2), $2)); }
    | layer ';'                     { ast_add_stmt(prog, $1); }
    | error ';'                     { yyerrok; }
    ;

/* the first name is the statement's name, the others positional args */
outputs
    : OUTPUT IDENT                  { $$ = ast_output(L(@1), $2, L(@2)); }
    | outputs ',' IDENT             { $$ = ast_add_arg($1, NULL, L(@3), ast_word(L(@3), $3)); }
    ;

dims
    : number                        { $$ = ast_list_add(ast_list(L(@1)), $1); }
    | dims ',' number               { $$ = ast_list_add($1, $3); }
    ;

/* layer: OP [NAME] ['(' [arg {',' arg}] ')']
 * arg:   NAME | KEY '=' value */
layer
    : layer_head
    | layer_head '(' ')'
    | args ')'
    ;

layer_head
    : IDENT                         { $$ = ast_layer(L(@1), $1, NULL, L(@1)); }
    | IDENT IDENT                   { $$ = ast_layer(L(@1), $1, $2, L(@2)); }
    ;

args
    : layer_head '(' IDENT          { $$ = ast_add_arg($1, NULL, L(@3), ast_word(L(@3), $3)); }
    | layer_head '(' IDENT '=' value { $$ = ast_add_arg($1, $3, L(@3), $5); }
    | args ',' IDENT                { $$ = ast_add_arg($1, NULL, L(@3), ast_word(L(@3), $3)); }
    | args ',' IDENT '=' value      { $$ = ast_add_arg($1, $3, L(@3), $5); }
    ;

value
    : number
    | BOOL                          { $$ = ast_bool(L(@1), $1); }
    | IDENT                         { $$ = ast_word(L(@1), $1); }
    | STRING                        { $$ = ast_string(L(@1), $1); }
    | '[' ']'                       { $$ = ast_list(L(@1)); }
    | '[' items ']'                 { $$ = $2; }
    | '[' items ',' ']'             { $$ = $2; }
    ;

items
    : value                         { $$ = ast_list_add(ast_list(L(@1)), $1); }
    | items ',' value               { $$ = ast_list_add($1, $3); }
    ;

number
    : INT                           { $$ = ast_int(L(@1), $1); }
    | FLOAT                         { $$ = ast_float(L(@1), $1); }
    | '-' INT                       { $$ = ast_negate(L(@1), ast_int(L(@2), $2)); }
    | '-' FLOAT                     { $$ = ast_negate(L(@1), ast_float(L(@2), $2)); }
    ;

%%

static void cnnerror(CNNLTYPE *loc, yyscan_t scanner, Program *prog, const char *msg) {
    (void)scanner; (void)prog;
    diag_error(L(*loc), "%s", msg);
}

/* "expected ';' or '(', found 'relu'" */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, Program *prog) {
    (void)prog;
    yysymbol_kind_t got = yypcontext_token(ctx);
    if (got == YYSYMBOL_ERROR) return 0;       /* the lexer has reported it */
    const struct LexState *st = cnnget_extra(scanner);
    const CNNLTYPE *loc = yypcontext_location(ctx);
    char found[64];
    if (got == YYSYMBOL_IDENT || got == YYSYMBOL_INT || got == YYSYMBOL_FLOAT)
        snprintf(found, sizeof found, "'%s'", st->text);
    else
        snprintf(found, sizeof found, "%s", yysymbol_name(got));
    yysymbol_kind_t exp[6];
    int n = yypcontext_expected_tokens(ctx, exp, 6);
    char buf[256] = "";
    size_t len = 0;
    if (n > 0 && n < 6) {
        len += (size_t)snprintf(buf, sizeof buf, "expected ");
        for (int i = 0; i < n && len < sizeof buf; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                    i == 0 ? "" : i == n - 1 ? " or " : ", ",
                                    yysymbol_name(exp[i]));
    }
    bool semi = false;
    for (int i = 0; i < n; i++) semi |= strcmp(yysymbol_name(exp[i]), "';'") == 0;
    if (semi && st->prev_line > 0 && loc->first_line > st->prev_line) {
        /* a forgotten ';' at the end of a line: say so where it belongs */
        const char *what = strcmp(st->stmt, "input") == 0     ? "the input declaration"
                           : strcmp(st->stmt, "output") == 0  ? "the output declaration"
                           : strcmp(st->stmt, "weights") == 0 ? "the weights declaration"
                                                              : "the layer statement";
        diag_error((Loc){st->prev_line, st->prev_col, 1}, "expected ';' after %s, found %s", what, found);
    } else if (len) {
        diag_error(L(*loc), "%s, found %s", buf, found);
    } else {
        diag_error(L(*loc), "unexpected %s", found);
    }
    return 0;
}
