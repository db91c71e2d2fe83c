/* ncurses for Swift: the wide-character API, and the function-like macros (COLOR_PAIR,
 * A_BOLD, the mouse masks) Swift cannot import, as inline functions. Only the Curses target
 * includes this. */
#ifndef TUNSCOPE_CNCURSES_SHIM_H
#define TUNSCOPE_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#include <langinfo.h>
#include <locale.h>
#include <ncursesw/curses.h>
#include <string.h>
#include <wchar.h>

static inline int tunscope_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline attr_t tunscope_a_bold(void) { return A_BOLD; }
static inline attr_t tunscope_a_underline(void) { return A_UNDERLINE; }
static inline attr_t tunscope_a_reverse(void) { return A_REVERSE; }
static inline attr_t tunscope_a_dim(void) { return A_DIM; }
static inline attr_t tunscope_a_italic(void) { return A_ITALIC; }
static inline attr_t tunscope_a_normal(void) { return A_NORMAL; }

static inline mmask_t tunscope_mouse_mask(void) {
    return BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED;
}
static inline int tunscope_mouse_is_click(mmask_t m) { return (m & (BUTTON1_PRESSED | BUTTON1_CLICKED)) != 0; }
static inline int tunscope_mouse_is_wheel_up(mmask_t m) { return (m & BUTTON4_PRESSED) != 0; }
static inline int tunscope_mouse_is_wheel_down(mmask_t m) { return (m & BUTTON5_PRESSED) != 0; }

/** One key: OK with a character, KEY_CODE_YES with a KEY_ code, or ERR on timeout. */
static inline int tunscope_get_key(unsigned int *key) {
    wint_t c = 0;
    int r = wget_wch(stdscr, &c);
    *key = (unsigned int)c;
    return r;
}

/** Whether the locale's characters are UTF-8, so box-drawing characters can be shown. */
static inline int tunscope_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset && strcmp(codeset, "UTF-8") == 0;
}

static inline void tunscope_set_locale(void) { setlocale(LC_ALL, ""); }

/** Writes a UTF-8 string at (y, x) with attributes and colour pair. */
static inline void tunscope_put(int y, int x, const char *utf8, attr_t attributes, short pair) {
    wattr_set(stdscr, attributes, pair, NULL);
    mvwaddstr(stdscr, y, x, utf8);
}

/* Full-screen mode on standard output with keys from `input` (initscr reads standard input).
   0 when it started; -1 when ncurses could not (the caller falls back to initscr). */
static inline int tunscope_start_with_input(FILE *input) {
    SCREEN *screen = newterm(NULL, stdout, input);
    if (!screen) return -1;
    set_term(screen);
    return 0;
}

/* ncurses' globals, read through functions (Swift 6 refuses shared mutable globals). */
static inline void tunscope_keypad(void) { keypad(stdscr, TRUE); }
/* A whole frame: the window is emptied first, so a cell the frame leaves alone (the bottom-right
   one) does not keep what an earlier frame or size put there; then the terminal is cleared. */
static inline void tunscope_clear_all(void) { werase(stdscr); clearok(stdscr, TRUE); }
static inline int tunscope_colors(void) { return COLORS; }
static inline int tunscope_color_pairs(void) { return COLOR_PAIRS; }
static inline int tunscope_lines(void) { return getmaxy(stdscr); }
static inline int tunscope_columns(void) { return getmaxx(stdscr); }

/* Last: term.h defines macros named after capabilities (lines, columns) that nothing above may see. */
#include <term.h>

/* Whether $TERM can show the screen, asked before ncurses starts (initscr exits on an unknown
   type): 0 it can, 1 the type is unknown, 2 it cannot move the cursor (dumb, a printer). */
static inline int tunscope_terminal_problem(void) {
    int error = 0;
    if (setupterm(NULL, 1, &error) != OK) return 1;
    const char *move = tigetstr("cup");
    int problem = (move == NULL || move == (char *)-1) ? 2 : 0;
    del_curterm(cur_term);
    return problem;
}
#endif
