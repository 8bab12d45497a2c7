/* The axon commands: each `cmd_<name>` takes the words after its name and returns the exit code
 * (0 ok, 1 bad input or data, 2 wrong usage). */
#ifndef AX_CLI_H
#define AX_CLI_H

int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_ppl(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_bleu(int argc, char **argv);
int cmd_ner(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_translate(int argc, char **argv);
int cmd_tag(int argc, char **argv);

#endif
