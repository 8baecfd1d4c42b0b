//! `nw-data`: the data sets of `nw`, the Nadaraya-Watson attention-pooling workspace.
//!
//! The chapter fits `f(x) = 2 sin(x) + x^0.8` from noisy samples
//! `y_i = f(x_i) + eps_i`, `eps_i ~ N(0, 0.5^2)`, `x_i` uniform on `[0, 5)`, sorted.
//! This crate makes those samples ([`Synthetic`]), the chapter's test grid 0, 0.1, ..., 4.9
//! with its noise-free truth ([`test_set`]), the chapter's own PyTorch draw of the training
//! data ([`chapter_train`]), grids of query points ([`arange`],
//! [`linspace`]), and reads and writes validated CSV files ([`read_dataset`],
//! [`read_queries`], [`write_columns`], [`write_dataset`]). Everything is f32, as in the
//! chapter.
//!
//! ```
//! use nw_data::{Synthetic, read_dataset, test_set, write_dataset};
//!
//! let train = Synthetic::new(50, 7).train()?;
//! assert_eq!(train.len(), 50);
//! assert!(train.x().is_sorted() && train.x().iter().all(|&x| (0.0..5.0).contains(&x)));
//! assert_eq!(Synthetic::new(50, 7).train()?, train); // same seed, same bits
//!
//! let test = test_set();
//! assert_eq!((test.len(), test.x()[1]), (50, 0.1));
//!
//! let dir = std::env::temp_dir().join(format!("nw-data-doctest-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("train.csv");
//! write_dataset(&path, &train)?;
//! assert_eq!(read_dataset(&path)?, train); // shortest round-trip text keeps every bit
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reproducibility
//! A seed fixes the training data bit for bit on every machine and thread count: the
//! generator is ChaCha12, whose output stream is fixed by its specification, seeded with
//! `SeedableRng::seed_from_u64`, drawn on the calling thread in a fixed order. The sampling
//! algorithms are those of the locked `rand` 0.10 and `rand_distr` 0.6 (see [`Synthetic`]).
//! The test inputs equal PyTorch's f32 `torch.arange(0, 5, 0.1)` bit for bit, which is not
//! `f32(0.1 i)` (see [`arange`]).
//!
//! # Files
//! [`read_frame`] reads the files people have: columns chosen by name or 1-based number
//! ([`ColumnRef`], [`Select`]), `,` `;` or tab between fields (detected from the header),
//! quoted fields (R's `write.csv`), decimal commas, missing values (`NA`, empty, ...) refused
//! or dropped and counted ([`ReadOptions`]), any line ending, standard input as `-`. Values
//! are f64. Anything doubtful (text that is not a number, infinities, rows with the wrong
//! number of fields, a missing header, blank lines in the middle, a line over
//! [`MAX_LINE_BYTES`]) is an error naming the file, the line, the column and the text; see
//! [`read`]. [`read_dataset`] and friends read the chapter's `x,y` files as f32.
//!
//! Writers refuse non-finite values and replace the destination atomically; [`write_atomic`]
//! does the same replace for any bytes (other crates use it for figures). [`Outputs`] writes
//! several files all or none, restoring the old ones on any failure; [`check_targets`]
//! refuses two outputs that are one file, or an output that is an input, before any work;
//! [`abandon`] undoes the writes in progress when the program is told to stop (see
//! [`output`]).
//!
//! # Coordinates of any size
//! The kernels compute in f32, whose spacing at 1.7e9 (a time stamp in Unix seconds) is 128.
//! An [`Origin`] measures a column from the midpoint of its range, in f64, before it becomes
//! f32, when that range lies far from zero: differences and weighted means, all kernel
//! regression uses, are unchanged, and f32's relative precision then applies to the data's
//! span. Bandwidths are distances and are not touched; weighted means of targets get their
//! origin added back in f64. Data around zero (the chapter's) are not shifted and keep their
//! bits. [`Origin::rounding`] says how far the shifted f32 inputs still are from the file's,
//! so a caller can warn when a bandwidth asks for more (see [`origin`]).

pub mod csv;
pub mod dataset;
pub mod error;
pub mod grid;
pub mod origin;
pub mod output;
pub mod read;
pub mod reference;
pub mod synthetic;

pub use csv::{
    Column, STDIN_NAME, STDIN_PATH, Table, input_name, is_stdin, write_atomic, write_columns,
    write_columns_marked, write_columns_marked_to, write_columns_to, write_dataset,
    write_table_marked_to,
};
pub use dataset::Dataset;
pub use error::{Alias, DataError, Result};
pub use grid::{arange, linspace};
pub use origin::Origin;
pub use output::{Outputs, abandon, check_targets};
pub use read::{
    ColumnRef, Frame, MAX_LINE_BYTES, MISSING_TOKENS, Missing, ReadOptions, Select, parse_columns,
    parse_dataset, parse_frame, parse_queries, parse_table, read_columns, read_dataset, read_frame,
    read_queries, read_table,
};
pub use reference::{CHAPTER_W0, chapter_train};
pub use synthetic::{Synthetic, test_inputs, test_set, truth};
