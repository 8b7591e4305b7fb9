//! The tray icon's pictures, drawn here rather than shipped as files: one shape per level, as the
//! window's badges draw them (ISA-101: grey when all is well, a distinct shape and a colour only
//! when it is not, so the level reads without colour too).

use zc_app::SummaryLevel;
use zc_app::zc_domain::alarm::Priority;

pub const SIZE: u32 = 32;

const GREY: [u8; 3] = [0xae, 0xb4, 0xba];
const AMBER: [u8; 3] = [0xf2, 0xb2, 0x33];
const RED: [u8; 3] = [0xff, 0x5a, 0x4e];
const YELLOW: [u8; 3] = [0xe6, 0xd3, 0x6a];
/// Outlines and the mark inside, so the shape holds on a light panel and a dark one.
const INK: [u8; 3] = [0x1b, 0x1d, 0x20];

/// What the tray shows: signed out and normal look alike but for the ring's gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Nobody signed in: a broken grey ring (nothing is claimed about the stations).
    SignedOut,
    Level(SummaryLevel, Option<Priority>),
}

/// The colour of an unacknowledged alarm's priority, as the alarm list shows it.
fn priority_colour(p: Option<Priority>) -> [u8; 3] {
    match p {
        Some(Priority::High) | None => RED,
        Some(Priority::Medium) => AMBER,
        Some(Priority::Low) => YELLOW,
    }
}

/// RGBA, `SIZE` × `SIZE`.
pub fn draw(p: Picture) -> Vec<u8> {
    let mut rgba = vec![0u8; (SIZE * SIZE * 4) as usize];
    // 4 × 4 samples per pixel: edges are smooth at panel sizes.
    const S: u32 = 4;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (mut acc, mut hits) = ([0u32; 3], 0u32);
            for sy in 0..S {
                for sx in 0..S {
                    let fx = (x as f32 + (sx as f32 + 0.5) / S as f32) / SIZE as f32;
                    let fy = (y as f32 + (sy as f32 + 0.5) / S as f32) / SIZE as f32;
                    if let Some(c) = sample(p, fx, fy) {
                        acc.iter_mut().zip(c).for_each(|(a, c)| *a += c as u32);
                        hits += 1;
                    }
                }
            }
            let i = ((y * SIZE + x) * 4) as usize;
            for k in 0..3 {
                rgba[i + k] = acc[k].checked_div(hits).unwrap_or(0) as u8;
            }
            rgba[i + 3] = (hits * 255 / (S * S)) as u8;
        }
    }
    rgba
}

/// The colour at (x, y) in the unit square, or nothing (transparent).
fn sample(p: Picture, x: f32, y: f32) -> Option<[u8; 3]> {
    let ring = |gap: bool| {
        let d = ((x - 0.5).powi(2) + (y - 0.5).powi(2)).sqrt();
        if gap && (x - 0.5).abs() < 0.12 && y < 0.5 {
            return None;
        }
        match d {
            d if (0.30..=0.44).contains(&d) => Some(GREY),
            d if (0.27..0.30).contains(&d) || (0.44..=0.47).contains(&d) => Some(INK),
            _ => None,
        }
    };
    match p {
        Picture::SignedOut => ring(true),
        Picture::Level(SummaryLevel::Normal, _) => ring(false),
        Picture::Level(SummaryLevel::Attention, _) => {
            // A hollow triangle: something is not right, nothing waits for an acknowledgement.
            let outer = triangle(x, y, 0.0);
            let inner = triangle(x, y, 0.16);
            match (outer, inner) {
                (t, _) if t < 0.0 => None,
                (t, i) if t < 0.03 || (0.0..0.03).contains(&i) => Some(INK),
                (_, i) if i >= 0.0 => None,
                _ => Some(AMBER),
            }
        }
        Picture::Level(SummaryLevel::Alarm, priority) => {
            // A filled triangle with an exclamation mark, in the priority's colour.
            let t = triangle(x, y, 0.0);
            if t < 0.0 {
                return None;
            }
            if t < 0.03 {
                return Some(INK);
            }
            let bar = (x - 0.5).abs() < 0.055 && (0.36..0.70).contains(&y);
            let dot = ((x - 0.5).powi(2) + (y - 0.80).powi(2)).sqrt() < 0.06;
            Some(if bar || dot { INK } else { priority_colour(priority) })
        }
    }
}

/// How far (x, y) lies inside the upward triangle shrunk by `inset` (negative: outside).
fn triangle(x: f32, y: f32, inset: f32) -> f32 {
    // Apex (0.5, 0.05), base y = 0.95 from x = 0.02 to 0.98; distances to the three edges.
    let base = 0.95 - y;
    let edge = |ax: f32, ay: f32, bx: f32, by: f32| {
        let (dx, dy) = (bx - ax, by - ay);
        let len = (dx * dx + dy * dy).sqrt();
        ((x - ax) * dy - (y - ay) * dx) / len
    };
    let left = edge(0.5, 0.05, 0.02, 0.95);
    let right = edge(0.98, 0.95, 0.5, 0.05);
    base.min(left).min(right) - inset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(rgba: &[u8], colour: [u8; 3]) -> bool {
        rgba.chunks(4).any(|px| px[3] == 255 && px[..3] == colour)
    }

    #[test]
    fn colour_only_when_abnormal_and_the_alarm_takes_its_priority_colour() {
        let normal = draw(Picture::Level(SummaryLevel::Normal, None));
        assert!(has(&normal, GREY) && !has(&normal, RED) && !has(&normal, AMBER));
        assert!(has(&draw(Picture::Level(SummaryLevel::Attention, None)), AMBER));
        let high = draw(Picture::Level(SummaryLevel::Alarm, Some(Priority::High)));
        assert!(has(&high, RED) && has(&high, INK));
        assert!(has(&draw(Picture::Level(SummaryLevel::Alarm, Some(Priority::Low))), YELLOW));
        assert_ne!(draw(Picture::SignedOut), normal);
    }
}
