/* The trainers behind `axon train <model>`: each takes the words after the model name and returns the exit
 * code (0 ok, 1 bad input or data, 2 wrong usage). */
#ifndef AX_CLI_TRAIN_H
#define AX_CLI_TRAIN_H

int train_mlp(int argc, char **argv);
int train_gpt(int argc, char **argv);
int train_char_lstm(int argc, char **argv);
int train_seq2seq(int argc, char **argv);
int train_ner(int argc, char **argv);

#endif
